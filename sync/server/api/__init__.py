"""The kiosks' HTTP API around the routes in sync/server/app.py: kiosk tokens, batch rate and body limits, reading a
batch, security headers."""
