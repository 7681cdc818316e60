"""``kiosk doctor``: check everything a kiosk needs and say, in plain words, what to do about each problem.

One line per check, each with a status word:

* OK — nothing to do;
* WARNING — the kiosk works, but less well than it could (no microphone: people answer by touch);
* PROBLEM — the kiosk cannot take or keep answers, or cannot send them to the server it should.

The exit status is 1 when anything is a PROBLEM, so a script or a support person can rely on it. Checks
look without changing anything: the database is first read in read-only mode, no answers database is
created, synthesised speech stays in memory. A check that fails unexpectedly becomes a PROBLEM line
with the error, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from kiosk.cli.options import config_option, data_option
from sync.core.clock import utc_now
from sync.core.plain_words import ago, plain_duration

if TYPE_CHECKING:
    from kiosk.session.settings import KioskConfig, KioskSettings
    from kiosk.session.store import Store
    from kiosk.voice.synthesis import Synthesiser

Status = Literal["OK", "WARNING", "PROBLEM"]
SCREEN_SECONDS = 15
"""The longest the screen check waits for a window (about half a second here; a hung driver never ends)."""
SERVER_TIMEOUT = (5.0, 15.0)
"""Connect and read timeouts for the server check: shorter than the sync job's, someone is waiting."""
SCREEN_FIX = ("Check the screen is plugged in and switched on, then restart the kiosk. If the kiosk app is "
              "showing on the screen right now, it may be holding it: stop the app and run kiosk doctor again.")


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str
    fix: str = ""


def ok(message: str) -> Verdict:
    return Verdict("OK", message)


def warning(message: str, fix: str) -> Verdict:
    return Verdict("WARNING", message, fix)


def problem(message: str, fix: str) -> Verdict:
    return Verdict("PROBLEM", message, fix)


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str


@dataclass
class Kiosk:
    """What the checks look at; earlier checks fill in what later ones need."""

    config_dir: Path | None
    data_dir: Path
    config: KioskConfig | None = None
    """The kiosk's config, or the built-in one when its own cannot be read (the config check says so)."""
    store: Store | None = None
    """Open only once the database check found it sound."""

    @property
    def usable_config(self) -> KioskConfig:
        if self.config is None:
            from kiosk.session.settings import load_config

            self.config = load_config()
        return self.config

    @property
    def settings(self) -> KioskSettings:
        return self.usable_config.settings


def counted(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def megabytes(size: float) -> str:
    """MB as [storage] keep_free_mb counts them (kiosk.device.disk_space: a million bytes)."""
    return f"{size / 1000:.1f} GB" if size >= 1000 else f"{size:.0f} MB"


# -- the checks, in the order they run --------------------------------------------------------------------


def check_config(kiosk: Kiosk) -> Verdict:
    from kiosk.keyboard import load_keyboard
    from kiosk.session.settings import SETTINGS_FILE, load_config
    from sync.core.config_files import ConfigError

    try:
        kiosk.config = load_config(kiosk.config_dir)
        for language in kiosk.config.settings.offered:  # as `kiosk run` reads them before it starts
            load_keyboard(language, kiosk.config.config_dirs)
    except ConfigError as error:
        return problem(str(error), "Correct that line, then run kiosk doctor again (the checks below used the "
                                   "built-in settings).")
    own = kiosk.config_dir / SETTINGS_FILE if kiosk.config_dir else None
    where = own if own and own.is_file() else "the built-in settings"
    settings = kiosk.config.settings
    return ok(f"Settings read from {where}: question set '{settings.question_set}', languages "
              f"{', '.join(settings.offered)}.")


def probe_screen() -> None:
    """Run by the screen check in a child process (a broken graphics driver can hang or end it): open the
    kiosk's full-screen window as ``kiosk run`` does, but hidden, and print one JSON line with the video
    driver SDL chose and the screen size, or the error."""
    import ctypes

    from kiosk.ui.app import prepare_kivy

    os.environ["KIVY_WINDOW"] = "sdl2"  # Kivy's fallback, its own X11 window, ends the process on failure
    prepare_kivy(windowed=False, size=(1280, 800))
    from kivy.config import Config

    Config.set("graphics", "window_state", "hidden")
    from kivy.core.window import Window

    with open("/proc/self/maps") as maps:  # the SDL2 library Kivy loaded, bundled or the system's
        path = next(line.split()[-1] for line in maps if re.search(r"/libSDL2-2[.-]", line))
    sdl = ctypes.CDLL(path)
    for function in (sdl.SDL_GetError, sdl.SDL_GetCurrentVideoDriver):
        function.restype = ctypes.c_char_p
    if Window is None:
        print(json.dumps({"error": (sdl.SDL_GetError() or b"no window could be opened").decode(errors="replace")}))
        return
    mode = (ctypes.c_int * 6)()  # SDL_DisplayMode: format, w, h, refresh_rate, driverdata (a pointer)
    size = mode[1:3] if sdl.SDL_GetDesktopDisplayMode(0, mode) == 0 else list(Window.system_size)
    print(json.dumps({"driver": sdl.SDL_GetCurrentVideoDriver().decode(), "size": size}))


def check_screen(_kiosk: Kiosk) -> Verdict:
    environment = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1"}
    try:
        done = subprocess.run([sys.executable, "-c", "from kiosk.device.doctor import probe_screen; probe_screen()"],
                              capture_output=True, text=True, timeout=SCREEN_SECONDS, env=environment)
    except subprocess.TimeoutExpired:
        return problem(f"The screen did not open within {SCREEN_SECONDS} seconds.", SCREEN_FIX)
    try:
        seen = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        last = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        seen = {"error": last[0]}
    if "error" in seen:
        return problem(f"The kiosk cannot open its screen ({seen['error']}).", SCREEN_FIX)
    size = "{} x {} pixels".format(*seen["size"])
    if seen["driver"] != "offscreen":
        return ok(f"The screen works: {size} ({seen['driver']}).")
    if os.environ.get("SDL_VIDEODRIVER") == "offscreen":
        return ok(f"Drawing off-screen, as SDL_VIDEODRIVER=offscreen asks ({size}): nothing shows on a screen.")
    # SDL fell back to drawing off-screen by itself: say which way to a real screen failed
    if desktop := os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        why = f"the desktop ({desktop}) does not answer"
    elif list(Path("/dev/dri").glob("card*")):
        why = "no desktop, and the graphics device (/dev/dri) could not be used"
    else:
        why = "no desktop and no graphics device (/dev/dri/card0)"
    return problem(f"No screen found: {why}.", SCREEN_FIX)


def check_microphone(kiosk: Kiosk) -> Verdict:
    voice = kiosk.settings.voice
    if not voice.listen:
        return ok("Listening is turned off in the settings ([voice] listen = false): people answer by touch.")
    from kiosk.voice.audio import MicrophoneSource, MicrophoneUnavailable

    device = int(voice.microphone) if voice.microphone.isdigit() else (voice.microphone or None)
    try:
        MicrophoneSource(device)
    except MicrophoneUnavailable as error:
        found = f"The microphone chosen in the settings ({voice.microphone}) cannot be used" if device is not None \
            else "No microphone found"
        return warning(f"{found}, so the kiosk cannot listen; people can still answer by touch.",
                       f"To let people say their answers, plug in a USB microphone and restart the kiosk "
                       f"(for IT: {error}).")
    import sounddevice

    return ok(f"Microphone: {sounddevice.query_devices(device, kind='input')['name']}.")


def check_speaker(kiosk: Kiosk) -> Verdict:
    voice = kiosk.settings.voice
    if not voice.speak or voice.speaker == "none":
        return ok("Speaking is turned off in the settings ([voice] speak, speaker): the kiosk shows pictures and "
                  "words only.")
    if shutil.which("aplay") is None:
        return warning("The kiosk cannot play sound: the program aplay is missing.",
                       "Ask IT to install it: sudo apt install alsa-utils")
    listing = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=10)
    cards = re.findall(r"^card \d+: [^\[]*\[([^\]]*)\]", listing.stdout, re.MULTILINE)
    if not cards:
        return warning("No speaker or sound card found, so the kiosk cannot read the questions aloud; people can "
                       "still see the pictures and tap.",
                       "Plug in a speaker (or use a screen with speakers, over HDMI) and restart the kiosk. For a "
                       'silent kiosk, set speaker = "none" in kiosk.toml.')
    return ok(f"Sound card: {', '.join(dict.fromkeys(cards))}.")


def _speak_in_memory(language: str, kiosk: Kiosk, synthesiser: Synthesiser) -> None:
    """Say the language's own name into a file that lives in memory only (memfd), never on the disk."""
    pack = kiosk.usable_config.language_packs[language]
    handle = os.memfd_create("kiosk-doctor-speech")
    try:
        synthesiser.synthesise(pack.name, pack.voice, Path(f"/proc/self/fd/{handle}"))
    finally:
        os.close(handle)


def check_speech(kiosk: Kiosk) -> Verdict:
    if not kiosk.settings.voice.speak:
        return ok("Speaking is turned off in the settings ([voice] speak = false).")
    from kiosk.voice.synthesis import Pyttsx3Synthesiser

    synthesiser = Pyttsx3Synthesiser()
    mute: dict[str, str] = {}
    for language in kiosk.settings.offered:
        try:
            _speak_in_memory(language, kiosk, synthesiser)
        except Exception as error:  # no espeak-ng, no voice for the language: any failure means silence
            mute[language] = one_line(error)
    from kiosk.voice.piper import with_installed_voices

    packs = with_installed_voices(kiosk.usable_config.language_packs, kiosk.data_dir)
    natural = [language for language in kiosk.settings.offered if packs[language].voice.piper is not None]
    with_piper = f" It speaks {', '.join(natural)} with a natural (Piper) voice." if natural else ""
    if not mute:
        return ok(f"The kiosk can speak {', '.join(kiosk.settings.offered)}.{with_piper}")
    first = next(iter(mute.items()))
    return warning(f"The kiosk cannot speak {', '.join(mute)} ({first[0]}: {first[1]}).",
                   "Ask IT to install espeak-ng (sudo apt install espeak-ng) and to check the voice in "
                   "languages/<language>/voice.toml.")


def check_voice_models(kiosk: Kiosk) -> Verdict:
    settings = kiosk.settings
    if not settings.voice.listen:
        return ok("Listening is turned off in the settings: no speech model is needed.")
    from kiosk.voice.engines import hearing_for
    from kiosk.voice.models import VoiceModels

    models = VoiceModels(kiosk.data_dir)
    hearing = {language: hearing_for(language, models) for language in settings.offered}
    heard = [language for language, how in hearing.items() if how is not None and how.dictation]
    answers_only = [language for language, how in hearing.items() if how is not None and not how.dictation]
    touch = [language for language, how in hearing.items() if how is None]
    message = (f"People can say their answers in {', '.join(heard + answers_only)}." if heard or answers_only
               else "There is no speech model yet, so no one can say their answers.")
    if answers_only:
        message += (f" In {', '.join(answers_only)} they say a question's answers; to say their own words too, "
                    f"install a model: kiosk voice install {answers_only[0].split('-')[0]}.")
    if touch:
        message += f" In {', '.join(touch)} they answer by touch."
    if settings.language not in touch:
        return ok(message)
    primary = settings.language.split("-")[0]
    return warning(message, f"To listen in {settings.language}, install a model: kiosk voice install {primary} "
                            "(downloads it; with no network, add --from MODEL.zip).")


def check_recordings(kiosk: Kiosk) -> Verdict:
    """Spoken-only languages are offered once all their prompts are recorded: none recorded is a choice
    not taken up (fine); some is a job half done (a warning, so it is finished)."""
    from kiosk.voice.prompt_script import not_in, prompt_script, recording_folder

    config = kiosk.usable_config
    notes, unfinished = [], []
    for tag in kiosk.settings.spoken_languages:
        script = prompt_script(config, tag)
        total, gaps = len(script), len(not_in(script, recording_folder(kiosk.data_dir, tag)))
        name, shown = config.language_packs[tag].name, config.language_packs[tag].shows
        if shown not in kiosk.settings.offered:
            unfinished.append(f"{name} is not offered: its screens show {shown}, which this kiosk does not offer "
                              f"(kiosk.toml: add {shown!r} to languages, or take {tag!r} out of spoken_languages).")
        elif not gaps:
            notes.append(f"People can choose {name}, heard from your recordings.")
        elif gaps == total:
            notes.append(f"{name} is offered once its {total} prompts are recorded (kiosk voice prompts {tag}).")
        else:
            unfinished.append(f"{name} is not offered yet: {total - gaps} of {total} prompts are recorded.")
    message = " ".join(notes + unfinished) or "No spoken-only language is set up (kiosk.toml: spoken_languages)."
    if not unfinished:
        return ok(message)
    return warning(message, "Record the rest (kiosk voice prompts LANGUAGE lists them) and import them: "
                            "kiosk voice recordings LANGUAGE --from FOLDER.")


def check_disk(kiosk: Kiosk) -> Verdict:
    from kiosk.device.disk_space import free_mb, has_room

    free, reserve = free_mb(kiosk.data_dir), kiosk.settings.storage.keep_free_mb
    fix = ("Make space on the kiosk's disk (ask IT to remove old files, or to use a larger disk or memory card). "
           "Answers already stored are safe.")
    stops = f"the kiosk stops taking answers below {megabytes(reserve)}"
    if not has_room(kiosk.data_dir, reserve):  # the same test the app makes before each answer
        return problem(f"Only {megabytes(free)} of disk space left: {stops}.", fix)
    if free < 3 * reserve:
        return warning(f"Disk space is getting low: {megabytes(free)} left, and {stops}.", fix)
    return ok(f"{megabytes(free)} of disk space free.")


def check_permissions(kiosk: Kiosk) -> Verdict:
    """The data folder 0700 and the database 0600 (sync.core.private_files): the kiosk makes them so, and tightens them
    when it opens its answers, but a folder can be opened up again by hand or restored from a copy."""
    from kiosk.session.store import DB_FILENAME
    from sync.core.private_files import database_files, open_to_others

    folder = kiosk.data_dir
    if not folder.is_dir():
        return ok(f"There is no data folder at {folder} yet: the kiosk makes it readable by its own user only.")
    loose = [path for path in (folder, *database_files(folder / DB_FILENAME)) if open_to_others(path)]
    if not loose:
        return ok("Only the kiosk's own user can open its data folder and read its answers.")
    seen = ", ".join(f"{path} ({path.stat().st_mode & 0o777:o})" for path in loose)
    fix = "; ".join(f"chmod {700 if path == folder else 600} {path}" for path in loose)
    return warning(f"Other users of this computer can read the kiosk's answers: {seen}.",
                   f"As the kiosk's user: {fix} (the kiosk also does this itself the next time it starts).")


def check_database(kiosk: Kiosk) -> Verdict:
    import sqlite3

    from kiosk.device.backup import database_problem
    from kiosk.session.store import DB_FILENAME, Store

    path = kiosk.data_dir / DB_FILENAME
    if not path.is_file():
        return warning(f"No answers are stored in {kiosk.data_dir} yet: the database is made when the kiosk "
                       "first starts.", "If the kiosk has been used, check --data or KIOSK_DATA_DIR names its "
                                        "data folder.")
    damaged = ("Restart the kiosk: at start it puts back the newest good backup and says what was lost. If it "
               "happens again, the disk or memory card may be failing: tell IT.")
    try:
        found = database_problem(path)  # read-only: looks, changes nothing
    except sqlite3.Error as error:  # not damage: permissions, a lock
        return problem(f"The answers database {path} cannot be opened ({one_line(error)}).",
                       "Run kiosk doctor as the kiosk's own user; if that fails too, tell IT.")
    if found is not None:
        return problem(f"The answers database {path} is damaged ({one_line(Exception(found))}).", damaged)
    kiosk.store = Store(kiosk.data_dir)
    counts = kiosk.store.counts()
    message = (f"The answers database is sound: {counts['stored']} answers stored, {counts['pending']} waiting to "
               "be sent.")
    if (repair := kiosk.store.last_recovery()) is not None:
        message += f" Last repair: {repair.describe()}"
    if counts["dead"]:
        return warning(f"{message} {counts['dead']} could not be sent (the server refused them).",
                       "Tell IT; kiosk export still includes them.")
    return ok(message)


def check_backups(kiosk: Kiosk) -> Verdict:
    from kiosk.device.backup import backups as find_backups

    every = kiosk.settings.storage.backup_every_hours
    backups = sorted((backup.path for backup in find_backups(kiosk.data_dir)), key=lambda path: path.stat().st_mtime)
    running = f"The running kiosk makes one every {plain_duration(every * 3600)}: check it is running, or tell IT."
    if not backups:
        if kiosk.store is None:
            return ok("No backups, and no answers to back up yet.")
        return warning("There is no backup of the answers yet.", running)
    newest = backups[-1]
    made = datetime.fromtimestamp(newest.stat().st_mtime, UTC)
    message = f"Newest backup of the answers: {newest.name}, made {ago(made)}."
    if utc_now() - made > max(timedelta(hours=2 * every), timedelta(days=1)):
        return warning(message, running)
    return ok(message)


def check_clock(kiosk: Kiosk) -> Verdict:
    from kiosk.device.clock_check import check_clock as look_at_clock

    verdict = look_at_clock(kiosk.store)
    return ok(verdict.message) if verdict.ok else warning(verdict.message, verdict.fix)


def check_server(kiosk: Kiosk) -> Verdict:
    from sync.client import NotAuthorised, SyncClient, SyncError, TransientError, read_token
    from sync.job import sync_target

    target = sync_target(kiosk.usable_config, kiosk.data_dir)  # the same server and token kiosk-sync uses
    if target is None:
        return ok("Not connected to a server: export answers with kiosk export.")
    url, token_path = target.server_url, target.token_file
    new_token = (f"Ask IT for this kiosk's token (feedback-server add-kiosk) and save it in {token_path}, "
                 "readable by the kiosk's user only.")
    if not token_path.is_file():
        return problem(f"There is no token file at {token_path}, so the server will not take this kiosk's answers.",
                       new_token)
    try:
        token = read_token(token_path)
    except (OSError, SyncError) as error:
        return problem(f"The token file {token_path} cannot be read ({one_line(error)}).", new_token)
    if kiosk.store is None:
        return warning(f"The server at {url} was not tried: there is no sound answers database yet.",
                       "Start the kiosk once (or see the database line above), then run kiosk doctor again.")
    client = SyncClient(store=kiosk.store, server_url=url, token=token, ca_file=target.ca_file,
                        timeout=SERVER_TIMEOUT)
    try:
        client.fetch_updates(kiosk.store.get_meta("updates_etag"))  # one small request that needs the token
    except NotAuthorised:
        return problem(f"The server at {url} refused this kiosk's token.", new_token)
    except TransientError as error:
        return problem(f"The kiosk cannot reach the server at {url} ({error}).",
                       "Check the network cable or Wi-Fi; answers are kept safely until it can.")
    counts = kiosk.store.counts()
    last = datetime.fromisoformat(counts["last_sync"]) if counts["last_sync"] else None
    message = (f"The server at {url} answers and knows this kiosk. Last confirmed sync: "
               f"{ago(last) if last else 'never'}.")
    stale = max(timedelta(hours=1), timedelta(seconds=3 * kiosk.settings.sync.interval_seconds))
    if counts["pending"] and (last is None or utc_now() - last > stale):
        return warning(f"{message} {counts['pending']} answers are waiting to be sent.",
                       "Check the kiosk-sync service is running (it sends answers every "
                       f"{kiosk.settings.sync.interval_seconds:g} seconds), or run kiosk-sync --once.")
    if token_path.stat().st_mode & 0o077:
        return warning(message, f"The token file can be read by other users: chmod 600 {token_path}")
    return ok(message)


CHECKS: list[tuple[str, Callable[[Kiosk], Verdict]]] = [
    ("config", check_config),
    ("screen", check_screen),
    ("microphone", check_microphone),
    ("speaker", check_speaker),
    ("speech", check_speech),
    ("voice models", check_voice_models),
    ("recordings", check_recordings),
    ("disk", check_disk),
    ("permissions", check_permissions),
    ("database", check_database),
    ("backups", check_backups),
    ("server", check_server),
    ("clock", check_clock),  # after the server check, whose request also notes the server's clock
]


def examine(config_dir: Path | None, data_dir: Path) -> list[Finding]:
    """Run every check, in order, on the kiosk whose config and data folders are given."""
    kiosk = Kiosk(config_dir, data_dir)
    findings = []
    try:
        for name, check in CHECKS:
            try:
                verdict = check(kiosk)
            except Exception as error:  # a check that breaks must not hide the others
                verdict = problem(f"This check failed: {type(error).__name__}: {one_line(error)}.",
                                  "Tell IT, with this line.")
            findings.append(Finding(name, verdict.status, verdict.message, verdict.fix))
    finally:
        if kiosk.store is not None:
            kiosk.store.close()
    return findings


@click.command()
@config_option
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {check, status, message, fix}.")
def doctor(config_dir: Path | None, data_dir: Path, as_json: bool) -> None:
    """Check the screen, microphone, speaker, speech, settings, clock, disk, who can read the data folder,
    database and server, and say what to do about anything wrong. Exits with 1 when something is a PROBLEM.

    Example: kiosk doctor --config /etc/kiosk
    """
    started = time.monotonic()
    findings = examine(config_dir, data_dir)
    if as_json:
        click.echo(json.dumps([asdict(finding) for finding in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            fix = f" What to do: {finding.fix}" if finding.fix else ""
            click.echo(f"{finding.status:<8} {finding.check:<13} {finding.message}{fix}")
        problems = sum(finding.status == "PROBLEM" for finding in findings)
        warnings = sum(finding.status == "WARNING" for finding in findings)
        click.echo(f"\n{counted(problems, 'problem')}, {counted(warnings, 'warning')}; checked in "
                   f"{time.monotonic() - started:.1f} s.")
    if any(finding.status == "PROBLEM" for finding in findings):
        sys.exit(1)  # not ctx.exit: kiosk.cli.main.run_command runs commands outside click's standalone mode
