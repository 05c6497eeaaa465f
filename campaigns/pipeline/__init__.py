"""The use cases both faces call: a campaign's journal rows, repeats, the demo."""
