"""Simplified Chinese: normalising typed text, dates a clerk names, numbers shown."""
