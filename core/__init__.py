"""Cross-cutting building blocks: settings, money, clock, errors, signing."""
