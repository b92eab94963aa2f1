"""coderouter-supervisor: a self-hosted LLM gateway for coding agents.

The layers live in the repository's top-level folders (``supervisor/``, ``worker/``, ``state/``,
``etc/``); this package links them in as subpackages so the tree imports as it installs.
"""
