"""Feedback kiosk: collects anonymous feedback by touch and voice."""
