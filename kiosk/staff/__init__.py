"""What staff do at the kiosk: staff mode, the PIN, the staff screen's tools, USB export and the sound check."""
