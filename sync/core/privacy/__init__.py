"""What must never be kept, and what must never be ignored.

:func:`scrub` replaces personal details with placeholders before any text is stored (kiosk and server);
:func:`redact_names` replaces the names of people a text speaks of when it is published (reports, exports);
:func:`concerns` finds text that suggests someone is at risk, so staff are told, and :func:`read_concerns` also
says whether the person may be at risk now, so they are shown how to get help.
"""

from sync.core.privacy.concerns import concerns, read_concerns
from sync.core.privacy.scrub import redact_names, scrub

__all__ = ["concerns", "read_concerns", "redact_names", "scrub"]
