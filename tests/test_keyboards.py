"""On-screen keyboards as data: Hangul built from jamo as typed, the shipped keyboard files, and a broken
keyboard file named by file, line and field. No Kivy: the flow types with these keyboards."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk.keyboard import PHYSICAL, Keyboard, label, load_keyboard
from kiosk.keyboard.hangul import deleted, jamo, typed
from kiosk.session.flow import Screen
from kiosk.session.settings import BUILTIN_CONFIG
from kiosk.ui.autopilot import typing
from sync.core.config_files import ConfigError

HANGUL = Keyboard(pages=(tuple("ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎㅏㅐㅑㅓㅔㅕㅗㅛㅜㅠㅡㅣ"), tuple("ㄲㄸㅃㅆㅉㅒㅖ.?")),
                  compose="hangul")


def type_keys(keys: str, draft: str = "") -> str:
    return functools.reduce(typed, keys, draft)


def deleting(text: str) -> list[str]:
    """What is left after each press of Delete, until nothing is."""
    left = []
    while text:
        text = deleted(text)
        left.append(text)
    return left


@pytest.mark.parametrize(("keys", "text"), [
    ("ㅎㅏㄴ", "한"),
    ("ㅎㅏㄴㄱㅜㄱ", "한국"),  # ㄴ and ㄱ make no cluster: ㄱ starts the next syllable
    ("ㅎㅏㄴㅏ", "하나"),  # a vowel after a final consonant takes it: 한 + ㅏ → 하나
    ("ㄱㅗㅏ", "과"), ("ㄱㅗㅐㄴ", "괜"), ("ㅅㅗㅣ", "쇠"), ("ㅁㅜㅓ", "뭐"),
    ("ㅋㅜㅔ", "퀘"), ("ㄱㅜㅣ", "귀"), ("ㅇㅡㅣ", "의"),
    ("ㄴㅓㄱㅅ", "넋"), ("ㅇㅏㄴㅈ", "앉"), ("ㅁㅏㄴㅎ", "많"), ("ㄷㅏㄹㄱ", "닭"),
    ("ㅅㅏㄹㅁ", "삶"), ("ㅇㅕㄹㅂ", "엷"), ("ㄱㅗㄹㅅ", "곬"), ("ㅎㅏㄹㅌ", "핥"),
    ("ㅇㅡㄹㅍ", "읊"), ("ㅇㅏㄹㅎ", "앓"), ("ㄱㅏㅂㅅ", "값"),
    ("ㄷㅏㄹㄱㅣ", "달기"),  # a cluster gives only its second consonant to the next syllable
    ("ㄱㅏㅂㅅㅇㅣ", "값이"),
    ("ㄱㅏㅆㅇㅓㅇㅛ", "갔어요"), ("ㄱㅏㅆㅓ", "가써"),  # a double consonant is one key and moves whole
    ("ㄱㅏㄸㅏ", "가따"),  # ㄸ cannot end a syllable: it waits for its vowel
    ("ㅏ", "ㅏ"), ("ㄱ", "ㄱ"), ("ㄱㄴ", "ㄱㄴ"), ("ㅗㅏ", "ㅘ"),  # letters on their own stay as they are
    ("ㅎㅏㄴ ㅏ", "한 ㅏ"),  # a space ends the syllable
    ("ㄴㅔ.", "네."),
])
def test_hangul_is_built_from_jamo_as_typed(keys, text):
    assert type_keys(keys) == text


def test_typing_carries_on_from_words_already_there():
    """A syllable typed on a physical keyboard or heard by the recogniser joins the next jamo the same way."""
    assert typed("감사합니다", "ㅇ") == "감사합니당"
    assert typed("한", "ㅏ") == "하나"


@pytest.mark.parametrize(("text", "left"), [
    ("한", ["하", "ㅎ", ""]),
    ("과", ["고", "ㄱ", ""]),
    ("닭", ["달", "다", "ㄷ", ""]),
    ("하나", ["한", "하", "ㅎ", ""]),  # the ㄴ goes back to the syllable it came from
    ("값이", ["값ㅇ", "값", "갑", "가", "ㄱ", ""]),  # ㅇ stays apart, as it was typed
    ("ㅘ", ["ㅗ", ""]),
    ("네.", ["네", "ㄴ", ""]),
])
def test_delete_takes_back_one_jamo_at_a_time(text, left):
    assert deleting(text) == left


def test_deleting_then_typing_the_same_jamo_gives_the_words_back():
    for text in ("한국", "괜찮아요", "닭고기", "없어요", "의사 선생님", "값이 비싸요"):
        keys = jamo(text)
        assert type_keys(keys) == text
        assert type_keys(keys[-1], deleted(text)) == text


@pytest.mark.parametrize(("text", "keys"), [
    ("한국", "ㅎㅏㄴㄱㅜㄱ"), ("괜찮아", "ㄱㅗㅐㄴㅊㅏㄴㅎㅇㅏ"), ("값이", "ㄱㅏㅂㅅㅇㅣ"),
    ("밖", "ㅂㅏㄲ"), ("네 ?", "ㄴㅔ ?"),
])
def test_words_are_split_into_the_jamo_that_type_them(text, keys):
    assert jamo(text) == list(keys)


def test_the_shipped_keyboards():
    english, bengali, korean = (load_keyboard(tag, [BUILTIN_CONFIG]) for tag in ("en", "bn", "ko"))
    assert english.pages == (tuple("abcdefghijklmnopqrstuvwxyz.?"),) and english.compose == "none"
    assert bengali.compose == "none" and korean.compose == "hangul"
    for keyboard in (english, bengali, korean):
        assert all(len(page) + keyboard.controls <= 30 for page in keyboard.pages)
    every = bengali.keys
    assert {"অ", "ঔ", "ক", "হ", "ড়", "য়", "ৎ", "া", "ৌ", "্", "ং", "ঃ", "ঁ", "।", "?"} <= every
    assert not any("\u09e6" <= c <= "\u09ef" for c in "".join(every)), "no Bengali digits without a page of them all"
    assert len(every) == 11 + 32 + 4 + 10 + 1 + 3 + 2
    assert {"ㄱ", "ㅎ", "ㄲ", "ㅉ", "ㅏ", "ㅣ", "ㅒ", "ㅖ"} <= korean.keys


@pytest.mark.parametrize("language", ["fr", "en-GB", "xx-YY"])
def test_a_language_without_a_keyboard_gets_the_english_one(language):
    assert load_keyboard(language, [BUILTIN_CONFIG]) == load_keyboard("en", [BUILTIN_CONFIG])


def test_a_sites_own_keyboard_comes_first(tmp_path):
    (tmp_path / "languages" / "bn").mkdir(parents=True)
    (tmp_path / "languages" / "bn" / "keyboard.toml").write_text('[[pages]]\nkeys = ["ক", "খ"]\n')
    assert load_keyboard("bn", [tmp_path, BUILTIN_CONFIG]).pages == (("ক", "খ"),)


def test_keys_show_capitals_and_signs_on_a_dotted_circle():
    assert [label(key) for key in ("a", "?", "ক", "া", "ি", "্", "ং", "ড়", "ㅎ")] == [
        "A", "?", "ক", "◌া", "◌ি", "◌্", "◌ং", "ড়", "ㅎ"]


def test_plain_keys_start_sentences_with_capitals_and_delete_a_whole_key():
    bengali = load_keyboard("bn", [BUILTIN_CONFIG])
    assert functools.reduce(PHYSICAL.typed, "good. very", "") == "Good. Very"
    assert functools.reduce(bengali.typed, ["ব", "ড়", " ", "ভ", "া", "ল", "ো"], "") == "বড় ভালো"
    assert bengali.deleted("বড়") == "ব"  # ড় is one key (ড and its nukta): it goes in one press
    assert bengali.deleted("ভালো") == "ভাল" and PHYSICAL.deleted("Good") == "Goo"
    assert bengali.keys_for("বড় ভালো") == ["ব", "ড়", " ", "ভ", "া", "ল", "ো"]


def test_the_page_for_a_key_is_this_one_when_it_has_it():
    bengali = load_keyboard("bn", [BUILTIN_CONFIG])
    assert bengali.page_of("া", 1) == 1 and bengali.page_of("া", 0) == 0 and bengali.page_of("া", 2) == 0
    assert bengali.page_of("অ", 0) == 2 and bengali.page_of("x", 0) is None
    assert [bengali.next_page(page) for page in range(3)] == [1, 2, 0]


def test_the_autopilot_types_by_turning_pages_and_tapping_jamo():
    board = SimpleNamespace(keyboard=HANGUL, page=0)
    assert typing(board, "싸요 A") == [
        {"tap": "key:page:2"}, {"tap": "key:ㅆ"}, {"tap": "key:page:1"}, {"tap": "key:ㅏ"}, {"tap": "key:ㅇ"},
        {"tap": "key:ㅛ"}, {"tap": "key:space"}, {"keyboard": "A"}]  # a letter no page has: a physical keyboard


def test_the_flow_types_with_the_keyboard_on_screen(make_flow):
    flow = make_flow()
    flow.start()
    flow.skip()
    flow.skip()
    assert flow.state.screen == Screen.TEXT
    for key in "ㅎㅏㄴㄱㅜㄱ":
        flow.type_letter(key, HANGUL)
    assert flow.state.draft == "한국"
    flow.delete_letter(HANGUL)
    assert flow.state.draft == "한구"
    flow.type_letter("ㄱ", HANGUL)
    flow.type_letter("!")  # a physical keyboard types whole letters
    flow.delete_letter()
    assert flow.state.draft == "한국"


def write_keyboard(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "site"
    (folder / "languages" / "ko").mkdir(parents=True)
    (folder / "languages" / "ko" / "keyboard.toml").write_text(text, encoding="utf-8")
    return folder


def broken(tmp_path: Path, text: str) -> ConfigError:
    folder = write_keyboard(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_keyboard("ko", [folder, BUILTIN_CONFIG])
    assert caught.value.path == folder / "languages" / "ko" / "keyboard.toml"
    return caught.value


TOO_MANY = "".join(f'"{chr(0x3131 + n)}", ' for n in range(28))


@pytest.mark.parametrize(("text", "line", "field", "reason"), [
    ('compose = "hangul"\n\n[[pages]]\nkeys = ["ㄱ"]\n\n[[pages]]\n# the second page\nkeys = [' + TOO_MANY + ']\n',
     8, "pages[2].keys", "28 keys are too many for one page: 27 fit"),
    ('compose = "hangul"\n[[pages]]\nkeys = ["ㄱ", "ㄴ", "ㄱ"]\n', 3, "pages[1].keys", "ㄱ is on this page twice"),
    ('compose = "hangeul"\n[[pages]]\nkeys = ["ㄱ"]\n', 1, "compose", "'none' or 'hangul'"),
    ('[[pages]]\nkeys = ["ㄱ"]\n[[pages]]\nkeys = ["ㄱ", "a b"]\n', 4, "pages[2].keys[2]", "no spaces"),
    ('[[pages]]\nkeys = ["ㄱ", ""]\n', 2, "pages[1].keys[2]", "a key is one letter or sign"),
    ('[[pages]]\nkey = ["ㄱ"]\n', 1, "pages[1].keys", "is required but missing"),
    ('compose = "none"\n', None, "pages", "is required but missing"),
    ('[[pages]]\nkeys = ["ㄱ" "ㄴ"]\n', 2, None, "is not valid TOML"),
])
def test_a_broken_keyboard_file_names_its_file_line_and_field(tmp_path, text, line, field, reason):
    error = broken(tmp_path, text)
    assert (error.line, error.field) == (line, field)
    assert reason in error.reason
    assert str(error).startswith(f"{error.path}" + (f", line {line}" if line else ""))


def test_kiosk_run_refuses_to_start_with_a_broken_keyboard(tmp_path, kiosk_env):
    folder = write_keyboard(tmp_path, 'compose = "hangul"\n[[pages]]\nkeys = ["ㄱ", "ㄱ"]\n')
    (folder / "kiosk.toml").write_text('languages = ["en-GB", "ko"]\n')
    result = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(folder), "--data",
                             str(tmp_path / "data")], capture_output=True, text=True, env=kiosk_env, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: {folder}/languages/ko/keyboard.toml, line 3, field pages[1].keys: ㄱ is on this page twice")
    assert not (tmp_path / "data").exists()
