"""Process lifecycle: the click CLI, gunicorn wiring, pid file and signals."""
