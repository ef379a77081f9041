"""Use cases: one function each, owning its transaction (the only code that commits)."""
