"""The seven screens of the campaign flow, plus dialogs. Thin: widgets do the work."""
