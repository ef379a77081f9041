"""Customer identification: pure rules over plain data (no database, no Rasa)."""
