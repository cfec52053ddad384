"""Courier partners (Dada, Fengniao, SF same-city, Shansong, UU, Uber Direct, DoorDash Drive,
Lalamove): one adapter protocol (protocol.py), one shared delivery state machine (states.py),
signed webhooks applied by compare-and-set (service.py), sealed per-brand/per-store accounts."""
