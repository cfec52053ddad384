"""Payments behind a provider interface; a sandbox provider confirms through a signed callback."""
