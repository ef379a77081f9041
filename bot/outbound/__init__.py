"""Talking to the outside: WeChat's API with one shared access token, and the
development outlet that stands in for it."""
