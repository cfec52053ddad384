"""Delivery promise domain: slot generation, capacity and cut-off as pure functions."""
