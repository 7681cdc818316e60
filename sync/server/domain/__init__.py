"""What the server knows and decides: batches, kiosks, sites' content, staff, safeguarding, participation, counts,
themes, retention, notifications and central exports."""
