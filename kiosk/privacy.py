"""What must never be kept: personal details are replaced by placeholders before any text is stored.

This first version catches the details people most often type into feedback by accident: email
addresses, UK phone numbers and postcodes. Names, addresses, NHS and NI numbers follow (issue 5).
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# +44 / 0 followed by 9-10 more digits, allowing the usual spaces, dashes and brackets.
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?|\(?0)\d{2,4}\)?(?:[\s-]?\d){6,8}\b")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)


def scrub(text: str) -> str:
    """Return ``text`` with personal details replaced by ``[email]``, ``[phone]``, ``[postcode]``."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _POSTCODE.sub("[postcode]", text)
