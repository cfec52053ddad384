"""Thin GraphQL resolvers: authenticate, load, call the domain, map errors."""
