"""smscast's headless core: contacts, templates, segments, audience, journal, engine.

Nothing in this package imports textual; the TUI (`tui/`) and the command line
(`campaigns.cli.main`) are two faces on it.
"""

__version__ = "0.1.0"
