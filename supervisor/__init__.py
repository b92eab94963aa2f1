"""The supervisor process: the click CLI (``cli``), process lifecycle (``lifecycle``) and the
other commands (``commands``)."""
