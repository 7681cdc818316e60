"""The ``kiosk`` command line: the commands (main) and the options they share with ``kiosk-sync`` (options)."""
