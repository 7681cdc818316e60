"""`kiosk voice install LANG` with no --from: the model is downloaded from a catalogue, checked against its size
and SHA-256, resumed after a cut connection, and refused (leaving nothing behind) when it is not the file
the catalogue names. A real HTTP server on 127.0.0.1 serves a real model (the Korean one, zipped); nothing
here reaches the internet."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.voice.catalogue import CATALOGUE, load_catalogue
from kiosk.voice.models import InstallError, VoiceModels
from tests.test_voice_in import kiosk, model_zip  # noqa: F401  (a fixture)


class ModelServer(ThreadingHTTPServer):
    """Serves one file, honours Range requests, and can cut the connection once, part way."""

    def __init__(self, body: bytes):
        super().__init__(("127.0.0.1", 0), ModelRequest)
        self.body = body
        self.cut_after: int | None = None
        self.starts: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/vosk-model-xx-0.1.zip"


class ModelRequest(BaseHTTPRequestHandler):
    server: ModelServer

    def do_GET(self) -> None:  # the name http.server calls
        wanted = self.headers.get("Range")
        start = int(wanted.removeprefix("bytes=").rstrip("-")) if wanted else 0
        self.server.starts.append(start)
        body = self.server.body
        self.send_response(206 if wanted else 200)
        self.send_header("Content-Length", str(len(body) - start))
        if wanted:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        cut, self.server.cut_after = self.server.cut_after, None
        self.wfile.write(body[start:start + cut] if cut is not None else body[start:])
        if cut is not None:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the network drops, mid-file

    def log_message(self, *_args: object) -> None:
        """Quiet: the test reads what the kiosk printed, not the server's log."""


@pytest.fixture(scope="module")
def server(model_zip: Path) -> Iterator[ModelServer]:  # noqa: F811
    running = ModelServer(model_zip.read_bytes())
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()


def catalogue_for(tmp_path: Path, url: str, body: bytes, sha256: str | None = None) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(f'[models.xx]\nurl = "{url}"\nsize = {len(body)}\n'
                    f'sha256 = "{sha256 or hashlib.sha256(body).hexdigest()}"\nlicence = "Apache-2.0"\n')
    return path


def test_a_model_is_downloaded_checked_and_installed_by_name(server, tmp_path):
    server.starts.clear()
    catalogue = catalogue_for(tmp_path, server.url, server.body)
    result = kiosk("voice", "install", "xx", "--catalogue", str(catalogue), "--data", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "data" / "voice-models" / "xx"
    assert result.stdout == f"Installed the xx speech model in {installed}\n"
    assert server.starts == [0]
    assert list((tmp_path / "data" / "voice-models" / ".downloads").iterdir()) == []  # the zip is gone
    assert VoiceModels(tmp_path / "data").find("xx") == installed


def test_a_cut_connection_is_resumed_where_it_stopped(server, tmp_path):
    server.starts.clear()
    models = VoiceModels(tmp_path / "data")
    catalogue = load_catalogue(catalogue_for(tmp_path, server.url, server.body))
    server.cut_after = len(server.body) // 3
    with pytest.raises(InstallError, match=r"was cut off after [\d,]+ of [\d,]+ bytes; run the same command again"):
        models.install_by_name("xx", catalogue, progress=False)
    part = models.root / ".downloads" / "vosk-model-xx-0.1.zip.part"
    kept = part.stat().st_size
    assert 0 < kept < len(server.body)
    assert models.install_by_name("xx", catalogue, progress=False) == models.root / "xx"
    assert server.starts == [0, kept]  # the second request asked only for the rest
    assert not part.exists()


def test_a_download_that_is_not_the_catalogued_file_is_deleted_and_nothing_installed(server, tmp_path):
    catalogue = catalogue_for(tmp_path, server.url, server.body, sha256="0" * 64)
    result = kiosk("voice", "install", "xx", "--catalogue", str(catalogue), "--data", str(tmp_path / "data"))
    assert result.returncode == 1
    assert "is not the file the catalogue names" in result.stderr and "it was deleted" in result.stderr
    models = tmp_path / "data" / "voice-models"
    assert [path.name for path in models.iterdir()] == [".downloads"]
    assert list((models / ".downloads").iterdir()) == []


def test_with_no_network_it_says_so_in_one_line_and_shows_the_from_path(tmp_path):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    catalogue = catalogue_for(tmp_path, f"http://127.0.0.1:{port}/vosk-model-small-en-us-0.15.zip", b"x" * 10)
    result = kiosk("voice", "install", "en", "--catalogue", str(catalogue).replace("xx", "en"),
                   "--data", str(tmp_path / "data"))
    assert result.returncode == 1
    assert result.stderr == ("Error: the catalogue has no speech model for en (it has: xx); install one you "
                             "downloaded with `kiosk voice install en --from MODEL.zip`\n")
    catalogue.write_text(catalogue.read_text().replace("[models.xx]", "[models.en]"))
    result = kiosk("voice", "install", "en-GB", "--catalogue", str(catalogue), "--data", str(tmp_path / "data"))
    assert result.returncode == 1
    assert result.stderr == (f"Error: no network: cannot reach http://127.0.0.1:{port}/vosk-model-small-en-us-0.15.zip."
                             " Download it on another computer and run `kiosk voice install en-GB --from "
                             "vosk-model-small-en-us-0.15.zip`\n")


def test_the_built_in_catalogue_names_an_english_model_and_a_bad_catalogue_file_is_a_clear_error(tmp_path):
    english = CATALOGUE["en"]
    assert english.file_name == "vosk-model-small-en-us-0.15.zip" and english.licence == "Apache-2.0"
    broken = tmp_path / "catalogue.toml"
    broken.write_text('[models.en]\nurl = "ftp://nowhere"\nsize = 1\nsha256 = "abc"\nlicence = "x"\n')
    with pytest.raises(InstallError, match=r"catalogue.toml, field models.en.url: String should match pattern"):
        load_catalogue(broken)
