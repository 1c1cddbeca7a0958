"""What one command asked for (options) and the builds it needs, in order (the plan)."""
