"""Make a stand-in set of recordings for a language with espeak-ng, named by prompt id, to try the import and a
spoken-only session before anyone has recorded (the kiosk's tests use it for Sylheti).

    python docs/example_recordings.py syl FOLDER
    kiosk voice recordings syl --from FOLDER

For Sylheti it reads the Bengali words on screen in espeak-ng's Bengali voice: a robot reading another
language, never to be put in front of people. docs/voice.md says how a site records the real prompts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.session.settings import load_config
from kiosk.voice.prompt_script import prompt_script


def make_example(language: str, folder: Path) -> list[Path]:
    """One espeak-ng WAV per prompt of ``language``, in ``folder``."""
    config = load_config()
    voice = config.language_packs[language].voice
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for line in prompt_script(config, language):
        wav = folder / f"{line.id}.wav"
        subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(voice.rate), "-w", str(wav), line.said], check=True)
        made.append(wav)
    return made


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(f"{len(make_example(sys.argv[1], Path(sys.argv[2])))} recordings in {sys.argv[2]}")
