"""Speech out and speech in, behind small interfaces."""
