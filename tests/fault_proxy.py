"""A small TCP proxy for fault tests: sits between the kiosk and the server on 127.0.0.1 and breaks
requests on purpose.

For each HTTP request (a client chunk starting with a method name) it rolls the dice:
- ``drop``: close both connections before the request reaches the server (the network vanished);
- ``cut``: forward the request, let the server commit and answer, then close the kiosk's connection
  before the answer reaches it (the classic cause of duplicates: the kiosk must resend, the server
  must recognise the batch);
- otherwise pass everything through.

``counts.faults`` says which requests each fault hit (``("cut", "POST /v1/batches")``), so a test can show that
its faults reached every stage of a sync.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"PATCH ", b"OPTIONS ")


@dataclass
class FaultCounts:
    requests: int = 0
    dropped: int = 0
    cut: int = 0
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(fault, request method and path) -> how many times."""


class FaultProxy:
    def __init__(self, upstream_port: int, *, drop: float = 0.0, cut: float = 0.0, seed: int = 0):
        self.upstream_port = upstream_port
        self.drop, self.cut = drop, cut
        self.rng = random.Random(seed)
        self.counts = FaultCounts()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def set_faults(self, *, drop: float, cut: float) -> None:
        self.drop, self.cut = drop, cut

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    def _roll(self, request_line: bytes) -> str:
        self.counts.requests += 1
        roll = self.rng.random()
        if roll < self.drop:
            self.counts.dropped += 1
            fault = "drop"
        elif roll < self.drop + self.cut:
            self.counts.cut += 1
            fault = "cut"
        else:
            return "pass"
        method, _, rest = request_line.decode("latin-1").partition(" ")
        self.counts.faults[fault, f"{method} {rest.split(' ')[0].split('?')[0]}"] += 1
        return fault

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        state = {"mode": "pass"}

        async def upstream() -> None:
            while chunk := await client_reader.read(65536):
                if chunk.startswith(METHODS):
                    state["mode"] = self._roll(chunk.split(b"\r\n", 1)[0])
                    if state["mode"] == "drop":
                        break
                server_writer.write(chunk)
                await server_writer.drain()

        async def downstream() -> None:
            while chunk := await server_reader.read(65536):
                if state["mode"] == "cut":
                    break  # the server has answered (so it committed); the kiosk never hears it
                client_writer.write(chunk)
                await client_writer.drain()

        tasks = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except (ConnectionError, OSError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            for writer in (client_writer, server_writer):
                writer.close()
