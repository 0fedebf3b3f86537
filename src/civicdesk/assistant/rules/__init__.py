"""Routing rules kept as data: crisis, refusal, handover and signposting."""
