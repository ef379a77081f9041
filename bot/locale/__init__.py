"""Every word a person reads or types that code handles (Simplified Chinese first)."""
