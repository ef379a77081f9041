"""The demo retailer: deterministic, persona-driven data to try and test salesbot."""
