"""One file per schema change, applied in order; a released file is never edited, only followed by another."""
