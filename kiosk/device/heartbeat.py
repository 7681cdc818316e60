"""Tell systemd the kiosk is alive, from the Kivy main loop, so that a hung screen is restarted.

systemd's notify protocol (sd_notify(3)) is one datagram of ``KEY=value`` lines sent to the unix socket
named in ``$NOTIFY_SOCKET`` (a name starting with ``@`` is in the abstract namespace). The kiosk sends
``READY=1`` once its first screen is drawn (``Type=notify`` waits for it), ``WATCHDOG=1`` every half of
``$WATCHDOG_USEC`` (``WatchdogSec=`` in config/systemd/feedback-kiosk.service), and ``STATUS=`` in plain
words for ``systemctl status``. The pings are scheduled on Kivy's Clock, never on a thread: when the main
loop hangs they stop, and systemd kills and restarts the app. Outside systemd nothing is sent.

Written here, not taken from PyPI: ``sdnotify`` (last release 2017) hides every error behind a bare
``except``; ``systemd-watchdog`` times its own pings by the wall clock, which a kiosk without a
real-time clock sees jump when NTP sets it at boot, and Kivy's Clock does the timing here anyway;
``systemd-python`` needs libsystemd's headers and a compiler. The protocol itself is one ``send``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def notify(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send ``message`` to systemd; False when not started by systemd (or the socket is gone)."""
    address = environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:  # systemd will notice the silence; the people at the screen should not
        log.warning("could not tell systemd the kiosk is running: %s", exc)
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between pings (half the watchdog time, as sd_watchdog_enabled(3) advises), or None when
    systemd does not watch this process."""
    usec, pid = environ.get("WATCHDOG_USEC", ""), environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


def beat_from_main_loop(status: Callable[[], str]) -> None:
    """Call while building the app: READY=1 with the ``status`` words after the first frame, then
    WATCHDOG=1 from Kivy's Clock, with STATUS= again whenever the words change."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return
    from kivy.clock import Clock
    from kivy.core.window import Window

    said = [""]

    def ping(_dt: float) -> None:
        words = status()
        notify("WATCHDOG=1" if words == said[0] else f"WATCHDOG=1\nSTATUS={words}")
        said[0] = words

    def first_frame(*_args: object) -> None:
        Window.unbind(on_flip=first_frame)
        said[0] = status()
        notify(f"READY=1\nSTATUS={said[0]}")
        interval = watchdog_interval()
        if interval is not None:
            Clock.schedule_interval(ping, interval)

    Window.bind(on_flip=first_frame)
