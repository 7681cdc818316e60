"""What crosses the network: the batch protocol, the kiosk's sync job and the central server."""
