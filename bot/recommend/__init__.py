"""Recommendations; for now their evaluation on real retail logs (issue #4)."""
