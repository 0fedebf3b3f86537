"""The stages of the answer pipeline, one small module each, in pipeline order."""
