"""Reading contacts: files as their owner meant them, phone numbers."""
