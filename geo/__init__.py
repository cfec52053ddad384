"""Location-based services, pure domain (no database, no GraphQL).

coordinates   WGS-84/GCJ-02/BD-09 tagging and conversion (china_region: where offsets apply)
distance      haversine on one shared sphere, road-distance providers (detour factor)
zones         delivery zones per store and tier; GeoJSON polygon parsing and validation
fees, eta     fee rules in integer fen; ETA from prep, road distance and courier speed
index_protocol / spatial_index   the GeoIndex interface and its in-memory STRtree backend
delivery_options                 per-store serviceability, tier, fee, ETA; serving-store choice
models, zone_rules, zone_admin   delivery_zone / geo_index_version storage, fee-rule JSON, staff edits
zone_lookup                      zones_for(): the one lookup checkout and delivery slots call
index_cache, postgis_index       per-process cached in-memory index (version-checked); PostGIS backend
"""
