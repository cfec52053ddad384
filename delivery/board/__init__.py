"""Dispatch wired to the database (issue 5): the staff board, assignments, the riders' side,
engine runs per city partition, delivery proof codes and live tracking events.

Plain Python and SQLAlchemy; the GraphQL layer (resolvers/dispatch_*.py) only translates.
The engine itself (delivery/dispatch/) never sees the database: `engine.run_partition`
loads a snapshot, rebuilds a `CityDispatcher` from it, solves in a thread and writes back.
"""
