"""Pure decision logic: tool loop, memory pressure, backend health, adaptive ordering."""
