"""Composing messages: templates, segments, prices, the plan."""
