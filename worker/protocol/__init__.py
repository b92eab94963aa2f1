"""Typed models of the Anthropic Messages and OpenAI Chat Completions wire formats."""
