"""GraphQL types only. Field resolvers here are one-liners through DataLoaders."""
