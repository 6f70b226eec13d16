"""The sample article a new playground database starts with (data only)."""
