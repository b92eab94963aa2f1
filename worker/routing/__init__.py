"""Choose the chain: profile selection, auto router, gates and ordering (pure)."""
