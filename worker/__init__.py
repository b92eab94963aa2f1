"""The ASGI gateway that runs inside each uvicorn worker, one folder per request stage."""
