"""Sending one campaign: the engine and its parts, pacing, reconciliation, delivery tracking,
events."""
