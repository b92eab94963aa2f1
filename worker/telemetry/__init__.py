"""Structured events, cost and metric recording."""
