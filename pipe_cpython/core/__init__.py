"""The ground every other folder stands on: errors, logging, stamps, the project's paths, release numbers, the cache."""
