"""How this kiosk behaves: settings from ``kiosk.toml``, merged over the embedded defaults.

``kiosk run --config DIR`` reads ``DIR/kiosk.toml`` (any subset of the settings) and looks for question
sets in ``DIR/questions/``, pictures in ``DIR/pictures/`` and language packs in ``DIR/languages/`` before
the built-in ones. Anything wrong
stops the kiosk with one line naming the file, line and field: a half-configured kiosk is worse than
none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kiosk.session.i18n import translations
from kiosk.voice.language_pack import LanguagePack, load_language_pack
from sync.core.config_files import ConfigError, TomlFile, validate_layers
from sync.core.paths import ASSETS, BUILTIN_CONFIG
from sync.core.privacy.scrub import StaffNames
from sync.core.questions import QuestionSet, base_language, find_picture, load_question_set, translation

SETTINGS_FILE = "kiosk.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdleSettings(_Section):
    still_there_after_seconds: float = Field(gt=0)
    countdown_seconds: int = Field(ge=1)
    half_finished: Literal["keep", "discard"]
    staff_card_seconds: float = Field(gt=0)


class SessionSettings(_Section):
    min_seconds_between: float = Field(ge=0)
    thank_you_seconds: float = Field(gt=0)
    misuse_burst_count: int = Field(ge=2)
    misuse_window_seconds: float = Field(gt=0)
    retry_save_seconds: float = Field(gt=0)


class SyncSettings(_Section):
    server_url: str = Field(pattern=r"^(https?://\S+)?$")
    token_file: str
    ca_file: str
    batch_size: int = Field(ge=1, le=5000)
    interval_seconds: float = Field(gt=0)


class VoiceSettings(_Section):
    speak: bool
    speaker: Literal["aplay", "none"]
    listen: bool
    listen_seconds: float = Field(ge=3, le=60)
    silence_seconds: float = Field(ge=1, le=30)
    microphone: str
    barge_in: bool = False
    """Keep listening while the kiosk speaks: only for a microphone that cancels the kiosk's own voice."""


class ContactWords(_Section):
    name: str = Field(default="", max_length=60)
    about: str = Field(default="", max_length=120)


class Contact(_Section):
    name: str = Field(min_length=1, max_length=60)
    phone: str = Field(min_length=1, max_length=40)
    about: str = Field(default="", max_length=120)
    picture: str = "phone"
    """Shown on the contact's card, so a person who cannot read still tells one line from another."""
    languages: tuple[str, ...] = ()
    """Shown only to people using one of these languages (an interpreter line, an advocate who speaks
    Bengali); empty: to everyone."""
    translations: dict[str, ContactWords] = {}
    """The name and "about" in other languages, as a question set gives them."""

    def shown_to(self, language: str) -> bool:
        """Whether a person using ``language`` sees this contact."""
        return not self.languages or base_language(language) in {base_language(tag) for tag in self.languages}

    def in_language(self, language: str) -> ContactWords:
        """The contact's words in ``language``: its own translation, else the name as written (a name is
        a name) and no "about", so a Bengali reader is never left with an English sentence."""
        if base_language(language) == "en":
            return ContactWords(name=self.name, about=self.about)
        own = translation(self.translations, language) or ContactWords()
        return ContactWords(name=own.name or self.name, about=own.about)


class HelpSettings(_Section):
    site_contacts: tuple[Contact, ...]
    national_contacts: tuple[Contact, ...]

    @property
    def contacts(self) -> tuple[Contact, ...]:
        """This site's own people first (they can act today), then the national lines."""
        return self.site_contacts + self.national_contacts


class AccessSettings(_Section):
    scan_seconds: float = Field(ge=0, le=30)


class PrivacySettings(_Section):
    keep_sent_days: int = Field(ge=1, le=3650)
    learned_concerns: bool
    staff_names: StaffNames
    """Names of people the writer speaks of ("Dr Jones", "Trevor"): "keep" them as given, for the service to act
    on (reports and exports can redact them when published), or "replace" them with [name] before storing."""


class ScreenSettings(_Section):
    rotation: Literal[0, 90, 180, 270]
    keep_awake: bool


class StaffSettings(_Section):
    hold_seconds: float = Field(ge=2, le=30)
    leave_after_seconds: float = Field(ge=15, le=600)
    restart_command: tuple[str, ...]
    shutdown_command: tuple[str, ...]


class StorageSettings(_Section):
    keep_free_mb: int = Field(ge=1, le=10_000_000)
    backup_every_hours: float = Field(gt=0, le=168)
    backups_kept: int = Field(ge=1, le=1000)


class KioskSettings(_Section):
    language: str = Field(min_length=2)
    languages: tuple[str, ...]
    spoken_languages: tuple[str, ...] = ()
    """Languages with no script of their own (Sylheti), offered once their recordings are all imported
    (`kiosk voice recordings`): the screens show another language's words, and only recordings are heard."""

    @property
    def offered(self) -> tuple[str, ...]:
        """The languages a person may choose, the kiosk's own first."""
        return tuple(dict.fromkeys([self.language, *self.languages]))
    question_set: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    idle: IdleSettings
    sessions: SessionSettings
    sync: SyncSettings
    voice: VoiceSettings
    help: HelpSettings
    privacy: PrivacySettings
    access: AccessSettings
    screen: ScreenSettings
    staff: StaffSettings
    storage: StorageSettings


@dataclass(frozen=True)
class KioskConfig:
    """Everything the kiosk needs from its config folder, already checked."""

    settings: KioskSettings
    questions: QuestionSet
    picture_dirs: list[Path]
    language_packs: dict[str, LanguagePack]
    """The pack of every offered language, by tag (settings.offered)."""
    config_dirs: list[Path]
    """Where language packs and other files are looked for: the user's config folder, then the built-in."""

    @property
    def language_pack(self) -> LanguagePack:
        """The kiosk's own language's pack."""
        return self.language_packs[self.settings.language]


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def load_config(config_dir: Path | None = None) -> KioskConfig:
    """Load settings and the chosen question set; raises ConfigError naming file, line and field."""
    defaults = TomlFile(BUILTIN_CONFIG / SETTINGS_FILE)
    files = [defaults]
    if config_dir is not None:
        if not config_dir.is_dir():
            raise ConfigError(config_dir, "config folder not found")
        if (config_dir / SETTINGS_FILE).is_file():
            files.insert(0, TomlFile(config_dir / SETTINGS_FILE))
    data: dict[str, Any] = {}
    for toml in reversed(files):
        data = _merge(data, toml.data)
    settings: KioskSettings = validate_layers(KioskSettings, data, files)

    search = [config_dir] if config_dir is not None else []
    picture_dirs = [d / "pictures" for d in search] + [ASSETS / "pictures"]
    candidates = [d / "questions" / f"{settings.question_set}.toml" for d in [*search, BUILTIN_CONFIG]]
    set_file = next((c for c in candidates if c.is_file()), None)
    if set_file is None:
        raise files[0].error(
            ("question_set",), f"no question set named {settings.question_set!r} (looked in {candidates[0].parent})"
        )
    _check_contact_pictures(settings.help, picture_dirs, files)
    config_dirs = [*search, BUILTIN_CONFIG]
    packs = {language: load_language_pack(language, config_dirs)
             for language in dict.fromkeys([*settings.offered, *settings.spoken_languages])}
    for language in settings.offered:
        translations(language, config_dirs)  # a broken messages.po stops the kiosk here, not mid-screen
    return KioskConfig(settings, load_question_set(set_file, picture_dirs), picture_dirs, packs, config_dirs)


def _check_contact_pictures(help_settings: HelpSettings, picture_dirs: list[Path], files: list[TomlFile]) -> None:
    """A help contact's picture must exist: a card without one is the card a person who cannot read skips."""
    for section in ("site_contacts", "national_contacts"):
        for index, contact in enumerate(getattr(help_settings, section)):
            if find_picture(contact.picture, picture_dirs) is None:
                loc = ("help", section, index, "picture")
                owner = next((f for f in files if loc in f.lines), files[0])
                raise owner.error(loc, f"no picture named {contact.picture!r} (looked for {contact.picture}.png in "
                                  + ", ".join(str(d) for d in picture_dirs) + ")")
