"""One person's session and what shapes it: the flow, the store it saves to, the settings, the kiosk's own words,
"You said, we did" updates, simulated sessions and exports of the store."""
