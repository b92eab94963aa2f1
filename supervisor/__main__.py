"""``python -m coderouter_supervisor.supervisor`` runs the CLI."""

from coderouter_supervisor.supervisor.cli import main

main()
