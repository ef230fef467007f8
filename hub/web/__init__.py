"""The hub's web layer: the villages' signed API and the staff dashboard."""
