"""Reports people would rather see than read: tables and charts."""
