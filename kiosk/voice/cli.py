"""``kiosk voice`` and ``kiosk transcribe``: install speech models and check what the kiosk would hear.

Kept apart from :mod:`kiosk.cli.main` (which registers these commands) so that importing one does not
import the other; vosk and numpy load only when a command needs them.
"""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.options import config_option, data_option

TOUCH_ONLY_NOTE = "Languages without a model still get spoken prompts; people answer by touch."


@click.group()
def voice() -> None:
    """Speech models the kiosk listens with, and natural voices it speaks with, one per language.

    Example: kiosk voice install en · kiosk voice install-speech en --from en_GB-alba-medium.onnx ·
    kiosk voice prompts syl · kiosk voice recordings syl --from FOLDER
    """


@voice.command("list")
@data_option
def list_models(data_dir: Path) -> None:
    """Show the languages the kiosk can listen in, and where each model is.

    Example: kiosk voice list
    """
    from kiosk.voice.models import VoiceModels

    rows = [("Language", "Source", "Path")]
    rows += [(info.language, info.source, str(info.path)) for info in VoiceModels(data_dir).list()]
    if len(rows) == 1:
        click.echo("No speech models yet: add one with `kiosk voice install LANGUAGE --from MODEL.zip`.")
    else:
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        for language, source, path in rows:
            click.echo(f"{language:<{widths[0]}}  {source:<{widths[1]}}  {path}")
    click.echo(TOUCH_ONLY_NOTE)


@voice.command()
@click.argument("language")
@click.option("--from", "source", type=click.Path(exists=True, path_type=Path),
              help="A model .zip from https://alphacephei.com/vosk/models, or the folder it unpacks to. "
                   "Without it, the model is downloaded (a cut download carries on where it stopped).")
@click.option("--catalogue", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your own catalogue of models (a TOML file: a local mirror), instead of the built-in one.")
@data_option
def install(language: str, source: Path | None, catalogue: Path | None, data_dir: Path) -> None:
    """Install a speech model for LANGUAGE (en, ko, en-GB...), replacing an older one.

    Examples: kiosk voice install en (downloads it) · kiosk voice install en --from vosk-model-small-en-us-0.15.zip
    """
    from kiosk.voice.catalogue import load_catalogue
    from kiosk.voice.models import InstallError, VoiceModels

    models = VoiceModels(data_dir)
    try:
        path = models.install(language, source) if source else models.install_by_name(
            language, load_catalogue(catalogue))
    except InstallError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Installed the {language} speech model in {path}")


@voice.command("install-speech")
@click.argument("language")
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A Piper voice's .onnx file (https://huggingface.co/rhasspy/piper-voices), with its .onnx.json "
                   "beside it.")
@data_option
def install_speech(language: str, source: Path, data_dir: Path) -> None:
    """Speak LANGUAGE (en, en-GB...) with a natural Piper voice instead of espeak-ng, replacing an older one.

    Example: kiosk voice install-speech en --from en_GB-alba-medium.onnx
    """
    from kiosk.voice.models import InstallError
    from kiosk.voice.piper import PiperVoices

    try:
        path = PiperVoices(data_dir).install(language, source)
    except InstallError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Installed the {language} voice in {path}. The kiosk speaks with it from its next start; the first "
               "start makes every prompt again (a minute or two).")


@voice.command()
@click.argument("language")
@click.option("--format", "shape", type=click.Choice(["text", "csv", "html"]), default="text", show_default=True,
              help="text to read on screen, csv for a spreadsheet, html to print (one line per prompt, a box to tick).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write it to this file instead of the screen.")
@config_option
def prompts(language: str, shape: str, out: Path | None, config_dir: Path | None) -> None:
    """List every prompt to record for LANGUAGE: its file name, what it means in English, and the words on screen.

    Example: kiosk voice prompts syl --format html --out sylheti-script.html
    """
    from kiosk.session.settings import load_config
    from kiosk.voice.prompt_script import prompt_script, script_as

    config = load_config(config_dir)
    if language not in config.language_packs:
        raise click.BadParameter(f"the kiosk offers no {language!r}: it offers "
                                 f"{', '.join(config.language_packs)} (kiosk.toml: languages, spoken_languages)",
                                 param_hint="LANGUAGE")
    lines = prompt_script(config, language)
    written = script_as(shape, config.language_packs[language], lines)
    if out is None:
        click.echo(written, nl=False)
    else:
        out.write_text(written, encoding="utf-8")
        click.echo(f"Wrote the {len(lines)} prompts to record to {out}")


@voice.command()
@click.argument("language")
@click.option("--from", "source", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of WAV files, each named by its prompt id (kiosk voice prompts LANGUAGE).")
@config_option
@data_option
def recordings(language: str, source: Path, config_dir: Path | None, data_dir: Path) -> None:
    """Check and import recordings of LANGUAGE's prompts, made at your site; they replace the synthetic voice.

    Each WAV is checked (a WAV file, not silent, not clipped, not too short or long), trimmed and brought to one
    loudness. A bad file is reported and left out; record it again and import the folder again. A spoken-only
    language (Sylheti) is offered once every prompt is recorded.

    Example: kiosk voice recordings syl --from ~/sylheti-recordings
    """
    from kiosk.session.settings import load_config
    from kiosk.voice.recordings import import_recordings

    config = load_config(config_dir)
    if language not in config.language_packs:
        raise click.BadParameter(f"the kiosk offers no {language!r}", param_hint="LANGUAGE")
    report = import_recordings(config, data_dir, language, source)
    click.echo(f"Imported {len(report.imported)} recordings of {language}.")
    for name, problem in report.problems:
        click.echo(f"  Not imported: {name}: {problem}")
    if report.missing:
        names = [f"{line.id}.wav" for line in report.missing]
        more = f" and {len(names) - 10} more (kiosk voice prompts {language} lists them)" if len(names) > 12 else ""
        click.echo(f"Still to record ({len(names)}): {', '.join(names[:10] if more else names)}{more}")
    elif config.language_packs[language].shows:
        click.echo(f"Every prompt is recorded: the language screen offers {config.language_packs[language].name} "
                   "from the kiosk's next start.")
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} of the recordings were not imported: record them again "
                                   "and import the folder again")


@click.command()
@click.argument("wav", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", "language", required=True, help="Language of the speech, for example ko or en-GB.")
@click.option("--phrases", help='Only listen for these answers, separated by commas: "yes, no, not sure".')
@data_option
def transcribe(wav: Path, language: str, phrases: str | None, data_dir: Path) -> None:
    """Print what the kiosk hears in a WAV file (to try a model or a question's answers).

    Example: kiosk transcribe answer.wav --lang ko --phrases "네, 아니요, 좋아요"
    """
    from kiosk.voice.audio import read_wav_16k_mono
    from kiosk.voice.engines import hearing_for
    from kiosk.voice.models import InstallError, VoiceModels
    from kiosk.voice.recogniser import ModelLoadError

    try:
        hearing = hearing_for(language, VoiceModels(data_dir))
    except InstallError as exc:
        raise click.BadParameter(str(exc), param_hint="--lang") from exc
    if hearing is None:
        raise click.ClickException(f"no speech model for {language}: add one with `kiosk voice install {language}`")
    wanted = [phrase.strip() for phrase in phrases.split(",") if phrase.strip()] if phrases is not None else None
    try:
        pcm = read_wav_16k_mono(wav)
        click.echo(hearing.load().transcribe(pcm, wanted))
    except (ModelLoadError, ValueError) as exc:  # ValueError: an unreadable WAV, or no phrase the model knows
        raise click.ClickException(str(exc)) from exc
