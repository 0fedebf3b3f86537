"""Casework: staff accounts and permissions, and the cases people pick up after a handover."""
