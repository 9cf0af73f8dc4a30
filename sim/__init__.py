"""citytwin: a digital twin of a Vietnamese province's digital transformation (ARCHITECTURE.md)."""
