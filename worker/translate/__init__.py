"""Anthropic <-> OpenAI requests, responses and streams; tool repair; output filters."""
