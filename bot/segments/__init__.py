"""Customer segmentation: pure functions over plain arrays (no database, no Rasa)."""
