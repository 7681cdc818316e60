"""A report printed to PDF fetches nothing outside itself (security review, finding 5): WeasyPrint, given a page
that points at a web address or a file on the server, neither makes the request nor prints the file."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.server.reports.easy_read import picture
from sync.server.reports.render import pdf_bytes
from tests.conftest import PROJECT


@pytest.fixture
def web() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that notes every path asked of it."""
    asked: list[str] = []

    class Noting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Noting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body><p>Report</p>{body}</body></html>"


def test_a_report_fetches_no_web_address(web):
    base, asked = web
    pdf = pdf_bytes(page(f'<img src="{base}/picture.png">', f'<link rel="stylesheet" href="{base}/style.css">'
                         f'<style>@import url("{base}/more.css"); body {{ background: url("{base}/bg.png") }}</style>'))
    assert pdf.startswith(b"%PDF") and asked == []


def test_a_report_prints_no_file_of_the_servers(tmp_path: Path):
    """A picture on the server's disk is left out; the same picture carried in the page (as reports carry
    theirs) is printed."""
    png = (PROJECT / "assets" / "pictures" / "star.png").resolve()
    without = pdf_bytes(page(""))
    from_disk = pdf_bytes(page(f'<img src="{png.as_uri()}" width="256" height="256">'))
    embedded = pdf_bytes(page(f'<img src="{picture("star")}" width="256" height="256">'))
    assert len(from_disk) < len(without) + 1000 < len(embedded)
