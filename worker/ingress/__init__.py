"""Starlette routes: parse and validate the wire request, shape errors per protocol."""
