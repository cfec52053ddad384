"""The staff console: a single page at /console built only on the public GraphQL API (issue 17)."""
