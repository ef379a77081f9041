"""Data layer: schema, engine, unit of work, repositories and migrations."""
