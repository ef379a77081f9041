"""Credentials and access rules."""
