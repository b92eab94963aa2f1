"""Deployable files shipped inside the package: gunicorn config, default providers.yaml, units."""
