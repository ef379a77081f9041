"""Import of a retailer's own customers, products and transactions from CSV."""
