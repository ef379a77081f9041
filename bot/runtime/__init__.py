"""Running salesbot's servers."""
