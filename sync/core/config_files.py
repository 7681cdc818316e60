"""Read TOML config files and turn validation errors into one clear line naming file, line and field.

Care workers edit these files by hand; an error must say exactly where to look, e.g.
``config/questions/default.toml, line 14, field questions[2].answers[1].picture: no picture named 'smiel'``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pydantic

Loc = Sequence[str | int]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


class ConfigError(Exception):
    """A config file is unusable; the message names the file, the line and the field."""

    def __init__(self, path: Path, message: str, line: int | None = None, field: str | None = None):
        self.path, self.line, self.field, self.reason = path, line, field, message
        where = str(path) + (f", line {line}" if line else "") + (f", field {field}" if field else "")
        super().__init__(f"{where}: {message}")


def field_name(loc: Loc) -> str:
    """Render a location such as ('questions', 2, 'id') as 'questions[3].id': counted from 1, as a
    person counts the [[questions]] blocks in the file."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _split_dotted(name: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"""(?:"[^"]*"|'[^']*'|[^.]+)""", name)]


def line_index(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each table and key path in a TOML text to the line (1-based) where it is written."""
    lines: dict[tuple[str | int, ...], int] = {}
    arrays: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()

    def resolve(segments: list[str]) -> tuple[str | int, ...]:
        path: tuple[str | int, ...] = ()
        for seg in segments:
            path = (*path, seg)
            if path in arrays:
                path = (*path, arrays[path])
        return path

    in_multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        quotes = raw.count('"""') + raw.count("'''")
        if in_multiline:
            in_multiline = quotes % 2 == 0
            continue
        header = _HEADER.match(raw)
        if header:
            segments = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                array = (*resolve(segments[:-1]), segments[-1])
                arrays[array] = arrays.get(array, -1) + 1
                table = (*array, arrays[array])
            else:
                table = resolve(segments)
            lines.setdefault(table, number)
        else:
            key = _KEY.match(raw)
            if key:
                lines.setdefault((*table, *_split_dotted(key.group(1))), number)
        in_multiline = quotes % 2 == 1
    return lines


class TomlFile:
    """A parsed TOML file that can say on which line any field was written."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(path, f"is not UTF-8 text ({exc.reason})") from exc
        except OSError as exc:
            raise ConfigError(path, f"cannot be read ({exc.strerror})") from exc
        try:
            self.data: dict[str, Any] = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
            message = re.sub(r"\s*\(at line.*\)", "", str(exc))
            raise ConfigError(path, f"is not valid TOML: {message}", int(match.group(1)) if match else None) from exc
        except RecursionError:  # tomllib reads nested lists and tables by recursion: a short file can exhaust it
            raise ConfigError(path, "is not valid TOML: lists or tables are nested too deeply") from None
        self.lines = line_index(self.text)

    def line_of(self, loc: Loc) -> int | None:
        """The line of the longest prefix of ``loc`` found in the file (a missing key points at its table)."""
        path = tuple(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def error(self, loc: Loc, message: str) -> ConfigError:
        return ConfigError(self.path, message, self.line_of(loc), field_name(loc) or None)

    def validate(self, model: type[pydantic.BaseModel]) -> Any:
        """Build ``model`` from this file's data, reporting the first problem with its line and field."""
        return validate_layers(model, self.data, [self])


def validate_layers(model: type[pydantic.BaseModel], data: dict[str, Any], files: list[TomlFile]) -> Any:
    """Build ``model`` from data merged from several files (most specific first); blame the file
    that actually wrote the faulty field, or the most specific one when the field is missing."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        owner = next((f for f in files if loc in f.lines), None)
        owner = owner or next((f for f in files if f.line_of(loc) is not None), files[0])
        raise owner.error(first["loc"], _plain(first)) from None


def _plain(error: Any) -> str:
    """Pydantic's message, worded for someone editing a file by hand."""
    kind = error["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known setting (check the spelling)"
    return str(error["msg"]).removeprefix("Value error, ")
