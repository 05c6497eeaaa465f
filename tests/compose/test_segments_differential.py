"""`campaigns.compose.segments` against Twilio's reference calculator, the npm
`sms-segments-calculator`.

One `node tests/oracle/segments_oracle.js` run answers for thousands of generated messages
(seeded random mixes plus every boundary: 160/161, 153 x n, 70/71, 67 x n, an extension
character or a surrogate pair or a whole cluster straddling a part, ZWJ emoji, flags, CRLF,
combining marks, lone surrogates), and another dumps the package's own tables (GSM-7 map,
Smart Encoding map, grapheme break property of every code point) to compare with ours.

Needs Node.js and the oracle's packages: `npm ci --prefix tests/oracle`. Without `node` the
tests are skipped; with node but without the packages they fail and say how to install them.
"""

from __future__ import annotations

import bisect
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import campaigns.compose.graphemes as graphemes_module
from campaigns.compose.graphemes import break_property
from campaigns.compose.segments import (
    GSM_BASIC_CHARS,
    GSM_EXTENSION_CHARS,
    analyze,
    smart_encode,
)

ORACLE_DIR = Path(__file__).resolve().parents[1] / "oracle"
SCRIPT = ORACLE_DIR / "segments_oracle.js"


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with the oracle's packages installed (else a clear failure)."""
    executable = shutil.which("node")
    if executable is None:
        pytest.skip("node is not installed: the differential segment test needs Node.js")
    if not (ORACLE_DIR / "node_modules" / "sms-segments-calculator").is_dir():
        pytest.fail(
            "The reference calculator is not installed. Run: npm ci --prefix tests/oracle",
            pytrace=False,
        )
    return executable


def run_oracle(node: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ask the reference calculator about every request in one node process."""
    payload = "".join(json.dumps(request) + "\n" for request in requests)
    result = subprocess.run(
        [node, str(SCRIPT)], input=payload.encode(), capture_output=True, check=True, timeout=120
    )
    # split on "\n" only: str.splitlines would also cut at U+2028, U+0085... inside strings
    answers = [json.loads(line) for line in result.stdout.decode().split("\n") if line]
    assert len(answers) == len(requests)
    return answers


# --- generated messages --------------------------------------------------------------------

ASCII_GSM = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?'\"@$_-+=:;/()%&#*<>"
)
PIECES: dict[str, list[str]] = {
    "ascii": list(ASCII_GSM),
    "gsm_latin": list("äöüßÄÖÜÑñéèùìòÇØøÅåÆæ¡¿£¥§¤ΔΦΓΛΩΠΨΣΘΞ"),
    "extension": list(GSM_EXTENSION_CHARS),
    "newline": ["\n", "\r", "\r\n", "\n\r"],
    "not_gsm_bmp": list("çёжшحبת中文한\t`ÁíóúâêôãõœŒ€™©®°±×÷"),
    "smart": list("“”‘’–—…«»\u00a0\u2009\u200b\ufeff¼½‼"),
    "emoji": ["😀", "🎉", "👍", "❤️", "☺", "🙂", "🚀", "💬", "🤖", "🏳️‍🌈"],
    "modifier": ["👍🏽", "👋🏻", "🏽", "👩🏾‍💻", "👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "🧑‍🤝‍🧑", "👁‍🗨"],
    "flag": ["🇫🇷", "🇩🇪", "🇺🇸", "🇬🇧", "🇯🇵", "🇦", "🇿"],
    "combining": ["e\u0301", "a\u0308", "\u0301", "n\u0303\u0323", "\u200d", "\u200c", "\u034f"],
    "indic": ["क्ष", "नमस्ते", "ि", "\u0915\u093f", "\u0600", "\u0d4e"],
    "hangul": ["\u1100\u1161\u11a8", "\u1100", "\u1161", "\u11a8", "가", "각", "\uac00\u11a8"],
    "surrogate": ["\ud800", "\udc00", "\ud83d"],
}


def boundary_messages() -> list[str]:
    """Hand-picked edges: single/part limits, and characters straddling a part boundary."""
    texts: list[str] = ["", "a", "\r\n", "\n", "{", "€", "😀", "\t", "\u200d", "🇫🇷🇩"]
    for n in (159, 160, 161, 162, 1600, 1601):
        texts.append("a" * n)
    for parts in range(2, 12):
        for delta in (-1, 0, 1):
            texts.append("a" * (153 * parts + delta))
            texts.append("ж" * (67 * parts + delta))
            texts.append("é" * (153 * parts + delta))
    for n in (69, 70, 71, 72, 134, 135):
        texts.append("ж" * n)
    for parts in range(2, 6):  # the fast paths: Latin-1 UCS-2, Greek/€ GSM-7, emoji UCS-2
        for delta in (-1, 0, 1):
            texts.append("ç" * (67 * parts + delta))
            texts.append("Ω" * (153 * parts + delta))
            texts.append("€" * (76 * parts + delta))
            texts.append("a" * (67 * parts + delta - 2) + "😀")
            texts.append("😀" * (33 * parts + delta))
            texts.append("b" * (67 * parts + delta - 1) + "😀" + "c" * 30)
    for before in (150, 151, 152, 153, 158, 159, 160):
        for ext in ("{", "€", "\f", "~"):
            texts.append("a" * before + ext + "a" * 20)
            texts.append("a" * before + ext)
    for before in (64, 65, 66, 67, 68, 69, 70, 132, 133, 134):
        for cluster in ("😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "e\u0301", "\r\n", "क्ष"):
            texts.append("ж" * before + cluster + "ж" * 10)
            texts.append("ж" * before + cluster)
    for marks in (60, 66, 67, 68, 69, 70, 71, 80, 140, 200):
        texts.append("a" + "\u0301" * marks)
        texts.append("ж" * 30 + "a" + "\u0301" * marks + "ж" * 50)
        texts.append("ж" * 69 + "a" + "\u0301" * marks + "b")
    texts += ["\r\n" * 100, "ж\r\n" * 40, "a\r\nb" * 50, "\r" * 161, "\n\r" * 90]
    texts += ["🇫🇷" * 40, "🇫" * 71, "👍🏽" * 20, "\u200d" * 80, "😀" * 35, "😀" * 36]
    texts += ["\ud83d\ude00", "x\ud800y", "\udc00" * 71, "a\u0301" * 45, "가" * 71]
    texts += [GSM_BASIC_CHARS, GSM_EXTENSION_CHARS * 20, "".join(chr(c) for c in range(0x100))]
    return texts


def random_messages(count: int, seed: int) -> list[str]:
    """Seeded mixes, biased toward lengths near the part boundaries."""
    rng = random.Random(seed)
    kinds = list(PIECES)
    targets = [160, 70, *(153 * n for n in range(2, 6)), *(67 * n for n in range(2, 8))]
    messages = []
    for _ in range(count):
        mix = rng.sample(kinds, rng.randint(1, 3))
        weights = [1.0] * len(mix)
        weights[0] = rng.choice([1.0, 10.0, 100.0])
        target = (
            rng.choice(targets) + rng.randint(-4, 4) if rng.random() < 0.8 else rng.randint(0, 400)
        )
        out: list[str] = []
        size = 0
        while size < target:
            piece = rng.choice(PIECES[rng.choices(mix, weights)[0]])
            out.append(piece)
            size += len(piece)
        messages.append("".join(out))
    return messages


def compare(node: str, texts: list[str], smart: bool = False) -> list[str]:
    """Mismatches between `analyze` and the reference calculator, described."""
    answers = run_oracle(node, [{"text": text, "smart": smart} for text in texts])
    mismatches = []
    for text, answer in zip(texts, answers, strict=True):
        info = analyze(smart_encode(text) if smart else text)
        ours = (info.encoding, info.segments, info.characters, list(info.non_gsm))
        theirs = (
            answer["encoding"],
            answer["segments"],
            answer["characters"],
            list(dict.fromkeys(answer["non_gsm"])),
        )
        if ours != theirs:
            mismatches.append(f"{text!r}: ours {ours} reference {theirs}")
    return mismatches


def test_boundaries_agree_with_reference(node: str) -> None:
    texts = boundary_messages()
    assert len(texts) > 300
    mismatches = compare(node, texts)
    assert not mismatches, "\n".join(mismatches[:20])


@pytest.fixture(scope="module")
def random_texts() -> list[str]:
    return random_messages(1000, seed=20261125)


def test_random_messages_agree_with_reference(node: str, random_texts: list[str]) -> None:
    mismatches = compare(node, random_texts)
    assert not mismatches, "\n".join(mismatches[:20])


def test_smart_encoding_agrees_with_reference(node: str) -> None:
    texts = [
        *random_messages(300, seed=7),
        "“Hi” — it’s…\u00a0ok",
        "a" * 158 + "…",
        "ж" * 60 + "½¼¾‼\t",
        "\u200b" * 200,
        "\ufeff\u2060" + "a" * 160,
        "\t" * 30,
    ]
    mismatches = compare(node, texts, smart=True)
    assert not mismatches, "\n".join(mismatches[:20])


def test_generated_messages_cover_every_outcome(random_texts: list[str]) -> None:
    """The generator really reaches both encodings, many part counts and the slow paths."""
    infos = [analyze(text) for text in random_texts]
    assert {info.encoding for info in infos} == {"GSM-7", "UCS-2"}
    assert {info.segments for info in infos} >= set(range(1, 9))
    assert any(len(cluster) > 2 for info in infos for cluster in info.non_gsm)


def test_tables_match_the_package(node: str) -> None:
    result = subprocess.run(
        [node, str(SCRIPT), "--tables"], capture_output=True, check=True, timeout=120
    )
    tables = json.loads(result.stdout)

    gsm = {chr(int(code)): septets for code, septets in tables["gsm"].items()}
    ours = {char: 1 for char in GSM_BASIC_CHARS} | {char: 2 for char in GSM_EXTENSION_CHARS}
    assert ours == gsm

    for char, replacement in tables["smart"].items():
        assert smart_encode(char) == replacement, f"U+{ord(char):04X}"
    untouched = "".join(chr(c) for c in range(0x3000) if chr(c) not in tables["smart"])
    assert smart_encode(untouched) == untouched

    # Both tables are constant between their range edges (but Hangul syllables, which we
    # compute): checking every edge of either, and every syllable, checks every code point.
    starts, ends, _ = graphemes_module._break_table()
    edges = {0, 0x10FFFF, *starts, *(end + 1 for end in ends), *range(0xAC00, 0xD7A5)}
    edges |= {first for first, _, _ in tables["breaks"]}
    edges |= {last + 1 for _, last, _ in tables["breaks"]}
    lookup = sorted((first, last, name) for first, last, name in tables["breaks"])
    firsts = [first for first, _, _ in lookup]

    def reference(code: int) -> str:
        index = bisect.bisect_right(firsts, code) - 1
        return lookup[index][2] if index >= 0 and code <= lookup[index][1] else "Other"

    wrong = [c for c in sorted(edges) if c <= 0x10FFFF and break_property(c) != reference(c)]
    assert not wrong, [f"U+{c:04X}: {break_property(c)} != {reference(c)}" for c in wrong[:10]]
