"""Storing campaigns: the journal (SQLite), exports."""
