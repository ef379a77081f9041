"""Rasa NLU components of salesbot (named in config.yml)."""
