"""The `salesbot` command line."""
