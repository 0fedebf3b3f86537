"""The assistant's own sentences, one YAML catalogue per language (read by assistant.messages)."""
