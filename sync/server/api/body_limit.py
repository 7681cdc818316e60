"""Every request body is limited before it is read, whether it declares its length or comes in chunks.

A body whose Content-Length is over its address's limit is refused before the app runs. A body sent in
chunks is counted as its pieces arrive and refused as soon as it passes the limit, so neither the app
nor the form parser (which spools a large part to a temporary file) ever gets more than the limit; the
unread rest is discarded by uvicorn. Either way the answer is 413 with the limit in words.

FastAPI's own ``max_body_size`` is not used: it answers a declared Content-Length over the limit with a
plain-text page of its own, and the kiosks' API promises ``{"detail": "<one plain sentence>"}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refusal = Callable[[Request, int], Response]
"""The 413 answer for a request whose body is larger than the limit given, in bytes."""


class _TooLarge(Exception):
    """The body passed its limit while the app was reading it."""


class BodyLimit:
    """ASGI middleware: bodies at the addresses in ``limits`` may be that many bytes, any other ``default``."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int], refuse: Refusal) -> None:
        self.app = app
        self.default = default
        self.limits = limits
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self.refuse(Request(scope), limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:  # too late to answer 413: end the connection as for any other failure
                raise
            await self.refuse(Request(scope), limit)(scope, receive, send)
