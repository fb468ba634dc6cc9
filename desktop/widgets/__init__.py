"""Widgets of the Tansaku window; each one is a view with signals, holding no engine state."""
