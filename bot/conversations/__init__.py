"""Conversations as managers review them: summaries and transcripts from Rasa's
tracker events (plain dicts in, plain data out)."""
