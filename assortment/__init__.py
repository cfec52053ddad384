"""Per-store assortment: which products each store sells, under the network's assortment policy
(issue 12 item 4). store_sync writes listings from POS files; this package holds the rules both
paths share (assortment.rules) and the staff-facing operations (assortment.service)."""
