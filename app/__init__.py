"""The application's infrastructure beside asgi.py: the per-request context, process-wide
services and provider registries, GraphQL document limits, the anonymous response cache and
the credential-header checks. Not business rules (those live in the domain packages) and not
resolvers (those live in resolvers/)."""
