"""concerns() flags what a safeguarding lead must see, and leaves idioms and everyday complaints alone.

The corpus (tests/data/concern_cases.toml) holds the cases; every one must pass with the rules alone (the
learned second reader, which also flags some of the corpus's ordinary sentences, is tested in
test_concerns_learned.py). The language-pack tests write their own config folder, as a service would.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.session.settings import BUILTIN_CONFIG
from sync.core.config_files import ConfigError
from sync.core.privacy import concerns
from sync.core.privacy.concerns import CATEGORIES, Reading, load_concern_rules, normalise, read_concerns
from tests.bench_scripts import bench_script
from tests.conftest import PROJECT
from tests.real_comments import SHORT_ANSWERS

CASES = tomllib.loads((Path(__file__).parent / "data" / "concern_cases.toml").read_text(encoding="utf-8"))["case"]


@pytest.fixture(scope="module")
def rules_alone():
    return load_concern_rules("en", learned=False)


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:40] for case in CASES])
def test_corpus_case(rules_alone, case):
    assert rules_alone.concerns(case["text"]) == sorted(case["expect"])


def test_with_the_learned_reader_every_corpus_concern_is_still_flagged_with_the_rules_categories():
    for case in CASES:
        if case["expect"]:
            assert concerns(case["text"]) == sorted(case["expect"])


def test_corpus_is_big_enough_and_covers_every_category():
    positives = [case for case in CASES if case["expect"]]
    assert len(CASES) >= 100 and len(positives) >= 50 and len(CASES) - len(positives) >= 50
    assert {category for case in positives for category in case["expect"]} == set(CATEGORIES)


@pytest.mark.parametrize("text", ["I DON'T FEEL SAFE HERE!!", "i don\u2019t feel safe here", "i do not feel safe here"])
def test_capitals_punctuation_and_curly_apostrophes_do_not_matter(text):
    assert concerns(text) == ["unsafe"]


def test_a_negation_in_another_clause_does_not_cancel():
    assert concerns("i am not happy, they hit me") == ["abuse-physical"]
    assert concerns("i dont know why they hit me") == ["abuse-physical"]


def write_pack(config: Path, language: str, text: str) -> Path:
    path = config / "languages" / language / "concerns.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_language_pack_adds_its_phrases_to_the_english_ones(tmp_path):
    write_pack(tmp_path, "xx", '[phrases]\nabuse-physical = ["zorg* @victim"]\n\n[negation]\ncues = ["nix"]\n')
    rules = load_concern_rules("xx-YY", [tmp_path, BUILTIN_CONFIG])
    assert rules.concerns("he zorgs me") == ["abuse-physical"]  # uses the English word list @victim
    assert rules.concerns("he nix zorgs me") == []
    assert rules.concerns("i want to kill myself") == ["self-harm"]
    assert load_concern_rules("en", [tmp_path, BUILTIN_CONFIG]).rule_concerns("he zorgs me") == []


def test_the_built_in_korean_and_bengali_packs_load():
    assert concerns("죽고 싶어요", "ko") == ["self-harm"]
    assert concerns("직원이 저를 안 때려요", "ko") == []
    assert concerns("আমি মরতে চাই।", "bn") == ["self-harm"]


@pytest.mark.parametrize(("text", "field", "reason"), [
    ('[phrases]\nself-harm = ["(kill myself"]\n', "phrases.self-harm[1]", "check the brackets"),
    ('[phrases]\nself-harm = ["hurt @nobodyknows"]\n', "phrases.self-harm[1]", "no word list named 'nobodyknows'"),
    ('[phrases]\nself-harm = ["bull(y|ies)"]\n', "phrases.self-harm[1]", "bracket touching a word"),
    ('[phrases]\nunsafe = ["had falls?"]\n', "phrases.unsafe[1]", "? after a letter"),
    ('[phrases]\nself-hurt = ["x"]\n', "phrases.self-hurt.[key]", "Input should be 'self-harm'"),
    ('[phrasse]\nself-harm = ["x"]\n', "phrasse", "not a known setting"),
])
def test_a_broken_pack_names_the_file_line_and_field(tmp_path, text, field, reason):
    path = write_pack(tmp_path, "xx", text)
    with pytest.raises(ConfigError) as error:
        load_concern_rules("xx", [tmp_path, BUILTIN_CONFIG])
    assert error.value.path == path and error.value.field == field and error.value.line is not None
    assert reason in str(error.value)


def test_invalid_toml_names_the_file(tmp_path):
    path = write_pack(tmp_path, "xx", "[phrases\n")
    with pytest.raises(ConfigError, match="is not valid TOML") as error:
        load_concern_rules("xx", [tmp_path, BUILTIN_CONFIG])
    assert error.value.path == path


def test_without_an_english_pack_the_kiosk_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="no English concern phrases"):
        load_concern_rules("en", [tmp_path])


@given(st.text(max_size=300), st.sampled_from(["en", "ko", "bn", "fr"]))
@settings(deadline=None)  # the first call per language loads its pack (~0.3 s)
def test_never_raises_and_only_returns_known_categories(text, language):
    found = concerns(text, language)
    assert found == sorted(set(found)) and set(found) <= set(CATEGORIES)


def test_a_sites_own_phrases_add_to_the_built_in_ones(tmp_path):
    from kiosk.session.settings import BUILTIN_CONFIG
    from sync.core.privacy.concerns import load_concern_rules

    folder = tmp_path / "languages" / "en"
    folder.mkdir(parents=True)
    (folder / "concerns.toml").write_text('[phrases]\nunsafe = ["the blue door"]\n')
    rules = load_concern_rules("en-GB", [tmp_path, BUILTIN_CONFIG])
    assert rules.concerns("someone keeps opening the blue door at night") == ["unsafe"]
    assert rules.concerns("a worker hit me") == ["abuse-physical"]  # the built-in phrases are still there


# Real comments, as the Friends and Family Test gathers them (issue 20): short answers, redaction marks, a capital
# I for every lower-case letter it resembles, txt-speak, emoji, and concern words in everyday frames.
BENIGN = [
    "better suspension on ambulances to cope with our rough roads",
    "Fully recommended to any frightened patient",
    "HavIng more sessIons would be benefIcIal. MakIng the sessIons enjoyable and fun would help",
    "Advice given was helpful and it put my mind at ease",
    "I was terrified before my smear but the nurse talked me through it",  # fear before a procedure
    "the receptionist was a bit short with me but they were clearly busy",  # rude staff: a complaint
    "dad fell in the garden at home and the paramedics came so quickly",  # a fall at home, handled well
    "a man in the waiting room was shouting at the staff and security had him out in no time",  # handled well
    "my arm is bruised from the cannula, they had a few goes",  # a medical cause
    "the physio class is hard work, my legs are killing me",
    "I took an overdose a few years ago and the team helped me through it, I am doing really well now",
    "proud to say the slimming group helped me lose 2 stone",
    "no one answers the phone at the surgery before 10am",
    "the hearing aid battery is flat again",  # "batter*" no longer reads "battery"
    "I was nervous about my scan but the radiographer was lovely",  # fear alone is not a safety concern
    "left waiting in the corridor for 3 hours before a bed was found",  # waiting, hunger, admin: complaints
    "I was hungry by the time I was seen as I'd been there since 8am",
    "no one called me back about my results",
    "no one came to tell us dad had gone to theatre",
    "nobody checked me in so I sat there for an hour",
    "no drinks available in the waiting room after 8pm",
    "the toilets were filthy",
    "lost weight after the operation but the dietitian was brilliant",
    "the paramedics saved my dads life when he collapsed at home",  # staff praised for saving someone
    "the nurse was brilliant, she stopped me falling when I fainted",
    "a patient was shouting all night so I got no sleep",  # noise from another patient
    "felt like I was a nuisance for ringing",
    "the receptionist was a bit short with me",
    "they told me off for claling for something mionr",  # two letters swapped still read as the frame
]
STILL_FOUND = {
    "My husband was left to fall out of his bed and fracture his hip": {"neglect"},
    "I was left on the toilet once for a very long time": {"neglect"},
    "I felt very bullied by the male CPN, intimidating, I felt vulnerable and trapped": {"abuse-emotional"},
    "it made me want to self-harm": {"self-harm"},
    "no one answers the buzzer at night, I waited an hour for the toilet": {"neglect"},
    "she hit me. The physio pushed me hard and it worked": {"abuse-physical"},  # a frame stays in its sentence
    "im cutting agian every night now": {"self-harm"},  # two letters swapped
    "i have talbets saved up and i thnik about taking them all": {"self-harm"},
    "they Iocked me in my room, the Iad next door hit me": {"abuse-physical"},  # a capital I starting a word
    "the carer shouts at my dad and swears under her breath": {"abuse-emotional"},
    "ive lost loads of weight and no one weighs me": {"neglect"},
    "i am frightened of my son": {"unsafe"},
    "My brother keeps going missing from the unit and staff only notice hours later": {"unsafe"},
    "Dad wasnt given his parkinsons meds on time for three days": {"neglect"},
    "they put mum to bed at 6pm every night so the night staff have less to do": {"neglect"},
    "the male nurse insisted on staying while I got changed, it made me really uncomfortable": {"abuse-sexual"},
    "when I asked for help to the toilet they told me to just go in my pad": {"neglect"},
    "they keep my mum in her room all day and lock the door": {"abuse-physical"},
    "Dad fell 3 times this week and nobody rang us": {"unsafe"},
    "i cant stop thinking about dying": {"self-harm"},
    "nobody would miss me": {"self-harm"},
    # one unpunctuated clause: a frame twenty words on is another topic
    "the night carer grabbed dads arm so hard it left bruises you could see the shape of her fingers and when we "
    "asked about it the home just told us that he is on warfarin and bruises easily": {"abuse-physical"},
}


@pytest.mark.parametrize("text", SHORT_ANSWERS + BENIGN)
def test_short_answers_and_everyday_frames_are_never_flagged(rules_alone, text):
    assert rules_alone.rule_reading(text) == Reading([], False)


@pytest.mark.parametrize(("text", "expected"), STILL_FOUND.items())
def test_real_concerns_in_the_same_words_are_still_found(rules_alone, text, expected):
    assert expected <= set(rules_alone.rule_concerns(text))


def test_nobody_caring_after_a_complaint_is_not_self_harm(rules_alone):
    """"Nobody cares" about a stolen purse is about the service: it must not bring up the help screen."""
    reading = rules_alone.rule_reading("staff nicked mums purse n nobody cares")
    assert "abuse-financial" in reading.categories and "self-harm" not in reading.categories
    assert not reading.urgent


@pytest.mark.parametrize(("text", "plain"), [
    ("XXXX was lovely", " staff  was lovely"),
    ("Dr *** and [name redacted] (name removed)", "Dr  staff  and  staff   staff "),
    ("I am going to kiII myseIf", "I am going to kill myself"),  # no lower-case l anywhere: I stands for l
    ("HavIng more sessIons would help", "HavIng more sessIons would help"),  # lower-case l: I stands for i
    ("It is the Iad, Iast week", "It is the lad, last week"),  # starting a word, not a sentence
])
def test_real_text_is_made_plain_before_it_is_read(text, plain):
    assert normalise(text) == plain


@pytest.mark.parametrize(("text", "expected"), [
    ("XXXX hit me", ["abuse-physical"]),
    ("I am going to kiII myseIf", ["self-harm"]),
    ("NO1 CAME WHEN I PRESSED THE BUZZER", ["neglect"]),
    ("they hit me \U0001f622\ufe0f\U0001f44d\U0001f3fd", ["abuse-physical"]),
    ("sum1 keeps taking my money", ["abuse-financial"]),
])
def test_redaction_marks_capitals_txt_speak_and_emoji_read_as_words(text, expected):
    assert concerns(text) == expected


@pytest.mark.parametrize(("now", "review"), [
    ("mum has been lying in a wet bed since this morning and still nobody has come",
     "mum was left in a wet bed for hours on the old ward"),
    ("he keeps hitting me", "my ex used to push me about"),
    ("my son takes all my pension", "money went missing from dads room"),
    ("I pressed the buzzer an hour ago, I am still sitting in it now",
     "dad was not turned all night, his heels are sore"),
    ("mum is lying on the floor and nobody has come", "mum was left on the floor for an hour last year"),
    ("nobody has given mum her epilepsy medication today", "mum missed her tablets on the old ward"),
    ("i cant keep myself safe tonight", "I used to self harm when I was at school"),
    ("sent home after 8 hours with a leaflet still want to die going to the bridge tonight",
     "I was given a leaflet about suicide prevention"),
])
def test_urgency_says_now_only_when_the_harm_is_now(now, review):
    urgent, queued = read_concerns(now), read_concerns(review)
    assert urgent.categories and urgent.urgent
    assert queued.categories and not queued.urgent


@pytest.mark.parametrize(("language", "now", "review"), [
    ("bn", "আমাকে মারে", "টাকা চুরি হয়েছে"),  # "(someone) hits me" / "money was stolen"
    ("ko", "직원이 나를 때려요", "돈이 없어졌어요"),  # "a worker hits me" / "money has gone missing"
    ("ko", "직원이 때렸어요", "돈이 없어졌어요"),  # "a worker hit [me]": Korean leaves "me" out
])
def test_bengali_and_korean_say_now_when_it_is_the_person_themself(language, now, review):
    """Every language pack has its urgency: a disclosure in Bengali or Korean shows the help screen as in English."""
    urgent, queued = read_concerns(now, language), read_concerns(review, language)
    assert urgent.categories and urgent.urgent
    assert queued.categories and not queued.urgent


def test_the_real_style_set_splits_the_same_way_every_time_into_two_parts_that_share_nothing():
    bench = bench_script("bench_concerns")
    cases = tomllib.loads((PROJECT / "tests" / "data" / "realstyle_dev.toml").read_text(encoding="utf-8"))["case"]
    tune, check = bench.split(cases, "tune"), bench.split(cases, "check")
    assert len(tune) + len(check) == len(cases)
    assert len(tune) == pytest.approx(2 * len(check), abs=12)  # two thirds, less the short answers kept for checking
    assert not {case["text"] for case in tune} & {case["text"] for case in check}
    assert bench.split(cases, "tune") == tune
    for severity in ("now", "review", "none"):
        assert any(case["severity"] == severity for case in check)


def test_the_concern_benchmark_reports_the_real_style_figures():
    result = subprocess.run([sys.executable, str(PROJECT / "bench" / "bench_concerns.py"), "--cases",
                             str(PROJECT / "tests" / "data" / "realstyle_dev.toml"), "--part", "check",
                             "--rules-only", "-n", "1"], capture_output=True, text=True, timeout=300, cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    for line in ("(check part)", "learned reader: not measured (asked not to)", "read like real comments",
                 "now->help", "review->help", "time per text"):
        assert line in result.stdout
