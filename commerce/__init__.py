"""Catalog, cart, checkout and orders: the selling side of a store."""
