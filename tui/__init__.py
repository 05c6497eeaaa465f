"""smscast's Textual app: screens over the headless core in `campaigns/` (see tui/app.py)."""
