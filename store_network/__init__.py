"""The store network: HQ -> partner -> store, control policies, store-level prices and stock, staff."""
