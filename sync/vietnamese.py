"""Vietnamese text as units really type it: legacy TCVN3/VNI encodings and tone placement.

**Legacy encodings.** Offices still type with the TCVN3 (ABC, `.VnTime`) and VNI (Windows)
fonts, or paste from old files: the sheet then holds Windows-1252 characters that only look
Vietnamese in that font (`NguyÔn V¨n An`, VNI `Nguyeãn Vaên Bình`). `detect_legacy` finds
such a cell and returns its Unicode text. It fires only when every non-ASCII word of the
cell becomes a valid Vietnamese syllable after conversion and at least one was not one
before, and the cell holds nothing outside Windows-1252 — so real Unicode Vietnamese (every
word already a syllable) and plain ASCII are never touched.

**Tone placement.** `Hoà`/`Hòa`, `Thuý`/`Thúy`, `Khoẻ`/`Khỏe` are the same word written with
the old and the new rule; `tone_key` gives both one key (the tone mark moved to the end of
its word, in NFD), so matching treats them as equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np

# --------------------------------------------------------------------------- tone marks
TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_OLD_STYLE = [
    (
        unicodedata.normalize("NFC", first + tone) + second,
        first + unicodedata.normalize("NFC", second + tone),
    )
    for first, second in (("o", "a"), ("o", "e"), ("u", "y"))
    for tone in TONES
]
"""(old, new) spellings of the open syllables whose tone placement changed: òa/oà, ủy/uỷ…"""


def tone_key(text: str) -> str:
    """One spelling for old and new tone placement (`hòa` → `hoà`, `thúy` → `thuý`,
    `khỏe` → `khoẻ`) of lower-case NFC text: one regular-expression pass."""
    if text.isascii():
        return text
    # the old spellings cannot overlap nor make new ones: one `str.replace` each, which
    # is much faster than a regular expression over many keys joined into one text
    for old, new in _OLD_STYLE:
        if old in text:
            text = text.replace(old, new)
    return text


# --------------------------------------------------------------------------- syllables
_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# rhymes without tone: nucleus (with medial / glide) and optional final consonant
_RHYMES = (
    "a|ai|ao|au|ay|ac|ach|am|an|ang|anh|ap|at|"
    "ă|ăc|ăm|ăn|ăng|ăp|ăt|"
    "â|âc|âm|ân|âng|âp|ât|âu|ây|"
    "e|ec|em|en|eng|eo|ep|et|"
    "ê|êch|êm|ên|ênh|êp|êt|êu|"
    "i|ia|ich|im|in|inh|ip|it|iu|iêc|iêm|iên|iêng|iêp|iêt|iêu|"
    "o|oc|oi|om|on|ong|op|ot|oa|oac|oach|oai|oam|oan|oang|oanh|oao|oap|oat|oay|"
    "oăc|oăm|oăn|oăng|oăt|oe|oen|oeo|oet|oong|ooc|"
    "ô|ôc|ôi|ôm|ôn|ông|ôp|ôt|"
    "ơ|ơi|ơm|ơn|ơp|ơt|"
    "u|ua|uc|ui|um|un|ung|up|ut|uân|uâng|uât|uây|uê|uêch|uênh|uy|uya|uych|uyên|uyêt|"
    "uyn|uynh|uyp|uyt|uyu|uôc|uôi|uôm|uôn|uông|uôt|uơ|"
    "ư|ưa|ưc|ưi|ưm|ưn|ưng|ưt|ưu|ươc|ươi|ươm|ươn|ương|ươp|ươt|ươu|"
    "y|yêm|yên|yêng|yêt|yêu"
)
_SYLLABLE = re.compile(f"(?:{_INITIALS})?(?:{_RHYMES})")
_TONE_SET = frozenset(TONES)


_RHYME = re.compile(f"(?:{_RHYMES})")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzăâêôơưđ")
_WRITTEN = frozenset(
    {*_LETTERS, *(unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in TONES)}
)
"""Every letter Vietnamese is written with (lower case, NFC)."""
_VOWELS = frozenset("aeiouyăâêôơư")


def _bare(word: str) -> tuple[str, int]:
    """(word in lower case without its tone marks, number of tone marks)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(ch in _TONE_SET for ch in decomposed)
    bare = "".join(c for c in decomposed if c not in _TONE_SET)
    return unicodedata.normalize("NFC", bare), tones


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """A Vietnamese syllable (any case, at most one tone mark): `Nguyễn`, `thuý`, `Hòa`."""
    if not set(word.lower()) <= _WRITTEN:
        return False
    bare, tones = _bare(word)
    return tones <= 1 and _SYLLABLE.fullmatch(bare) is not None


@lru_cache(maxsize=65536)
def is_plausible(word: str) -> bool:
    """Spelled like Vietnamese, ethnic-minority names included (`Hrê`, `Mnông`, `Stiêng`):
    Vietnamese letters only, at most one tone, up to three consonants, then a valid rhyme."""
    if not set(word.lower()) <= _WRITTEN:
        return False
    bare, tones = _bare(word)
    if tones > 1 or not bare:
        return False
    start = next((i for i, c in enumerate(bare) if c in _VOWELS), None)
    if start is None or start > 3:
        return False
    if _RHYME.fullmatch(bare[start:]) is not None:
        return True
    # gi- and qu- take the vowel letter: gia, giẻ, quý
    return (
        bare[start - 1 : start + 1] in ("gi", "qu")
        and _RHYME.fullmatch(bare[start + 1 :]) is not None
    )


def _mixed_case(word: str) -> bool:
    """A capital after a small letter inside a word (`NguyÔn`, `ChÝ`): TCVN3 shows lower-case
    letters with codes that are capitals in Windows-1252."""
    return any(c.isupper() for c in word[1:]) and _mixed_by_letters(word)


def _mixed_by_letters(word: str) -> bool:
    seen_lower = False
    for ch in word:
        if ch.islower():
            seen_lower = True
        elif ch.isupper() and seen_lower:
            return True
    return False


# --------------------------------------------------------------------------- TCVN3 (ABC)
def _tcvn3_table() -> dict[str, str]:
    """Windows-1252 character → Unicode letter of the TCVN3 (TCVN 5712:1993) upper half."""
    letters = {
        0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
        0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
        0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
        0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
        0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
        0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
        0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
        0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
        0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
        0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
        0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
        0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
        0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
        0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
        # capitals with a tone that TCVN 5712 places in the upper half
        0xAF: "Ằ", 0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ",
        0xC4: "Ấ", 0xC5: "Ề", 0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ",
        0xF0: "Ỗ", 0xFF: "Ố",
    }  # fmt: skip
    return {bytes([b]).decode("cp1252"): u for b, u in letters.items()}


TCVN3 = _tcvn3_table()
_TCVN3_TRANS = str.maketrans(TCVN3)
# characters that Unicode Vietnamese never uses: their presence is what makes a cell a candidate
_TCVN3_SIGNS = "".join(
    c for c in TCVN3 if not is_syllable(c.lower()) and c not in "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý"
)

# --------------------------------------------------------------------------- VNI (Windows)
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_HAT_TONES = {"á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_BREVE_TONES = {"é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_VNI_I = {"í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị"}


def _vni_sequences() -> dict[str, str]:
    """VNI keystroke sequence (as Windows-1252 text) → Unicode letter, both cases."""
    pairs: dict[str, str] = {}
    for lower in (False, True):

        def case(s: str, lower: bool = lower) -> str:
            return s if lower else s.upper()

        for base in "aeo":  # circumflex â ê ô, with or without a tone
            pairs[case(base) + case("â")] = case({"a": "â", "e": "ê", "o": "ô"}[base])
            for mark, tone in _VNI_HAT_TONES.items():
                hat = {"a": "â", "e": "ê", "o": "ô"}[base]
                pairs[case(base) + case(mark)] = case(unicodedata.normalize("NFC", hat + tone))
        pairs[case("a") + case("ê")] = case("ă")
        for mark, tone in _VNI_BREVE_TONES.items():
            pairs[case("a") + case(mark)] = case(unicodedata.normalize("NFC", "ă" + tone))
        for base in ("a", "e", "o", "u", "y", "ô", "ö"):
            letter = {"ô": "ơ", "ö": "ư"}.get(base, base)
            for mark, tone in _VNI_TONES.items():
                pairs[case(base) + case(mark)] = case(unicodedata.normalize("NFC", letter + tone))
        pairs[case("ô")] = case("ơ")
        pairs[case("ö")] = case("ư")
        pairs[case("ñ")] = case("đ")
        pairs[case("î")] = case("ỵ")
        for mark, letter in _VNI_I.items():
            pairs[case(mark)] = case(letter)
    return pairs


VNI = _vni_sequences()
_VNI_RE = re.compile("|".join(sorted(map(re.escape, VNI), key=len, reverse=True)))
_VNI_SIGNS = re.compile(
    "[aeoAEO][âÂáàåãäÁÀÅÃÄ]|[aA][êÊéèúüëÉÈÚÜË]|[aeouyôöAEOUYÔÖ][ùøûõïÙØÛÕÏ]|[ñÑöÖîÎæÆ]"
)

_CANDIDATE = re.compile(
    f"[{re.escape(_TCVN3_SIGNS)}]|{_VNI_SIGNS.pattern}|[a-z\u00df-\u00ff][\u00c0-\u00de]"
)
NAMES = {"tcvn3": "TCVN3 (.VnTime)", "vni": "VNI (Windows)"}
"""How a legacy encoding is named to users."""


_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")


def could_be_legacy(text: str) -> bool:
    """Cheap test: the text is not ASCII and holds nothing beyond Latin-1 (legacy text never
    does; most Unicode Vietnamese does: ạ ư đ ơ ễ…), or holds a sign of TCVN3 or VNI."""
    if text.isascii():
        return False
    return _BEYOND_LATIN1.search(text) is None or _CANDIDATE.search(text) is not None


_SPLIT = re.compile(r"[\s\-/(),.;:!?\"'0-9\[\]{}<>|+*=&%$#@~^_\\]+")


def _words(text: str) -> list[str]:
    """Words of a cell: split on spaces, ASCII punctuation and digits only (TCVN3 letters
    such as ¨ © « are punctuation in Windows-1252)."""
    return [w for w in _SPLIT.split(text) if w]


def _convert(text: str, encoding: str) -> str:
    if encoding == "vni":
        return _VNI_RE.sub(lambda m: VNI[m.group()], text)
    converted = text.translate(_TCVN3_TRANS)
    # .VnTime has no capitals with a tone: they are typed with the lower-case code. A word
    # typed in capitals keeps them; in a name written in title case (Nguyễn Thị ánh), a
    # word that starts with such a letter gets its capital back (Ánh).
    parts = re.split(r"(\s+)", text)
    done = re.split(r"(\s+)", converted)
    words = [w for w in parts if w.strip()]
    title = len(words) > 1 and all(w[0].isupper() for w in words if w[0].isascii())
    for i, word in enumerate(parts):
        letters = [c for c in word if c.isascii() and c.isalpha()]
        if len(letters) > 1 and all(c.isupper() for c in letters):
            done[i] = done[i].upper()
        elif title and word and not word[0].isascii() and done[i][:1].islower():
            done[i] = done[i][:1].upper() + done[i][1:]
    return "".join(done)


@lru_cache(maxsize=65536)
def _reads_as_unicode(word_or_text: str) -> bool:
    """Every non-ASCII word is a syllable written in normal case."""
    words = _words(word_or_text)
    if len(words) > 1:
        return all(_reads_as_unicode(w) for w in words if not w.isascii())
    return not words or words[0].isascii() or (is_syllable(words[0]) and not _mixed_case(words[0]))


def _suspicious(typed: str, converted: str) -> bool:
    """A word as typed cannot be Unicode Vietnamese, while its conversion can."""
    if _mixed_case(typed) or not is_plausible(typed):
        return True
    return not is_syllable(typed) and is_syllable(converted)


def _score(original: str, converted: str) -> tuple[int, int] | None:
    """How well a conversion reads, or None when it does not: every word it changed becomes
    plausible Vietnamese (no capital inside a word), and at least one of them could not be
    Unicode Vietnamese as typed. Higher is better: (syllables among the changed words,
    fewer characters)."""
    changed = [(a, b) for a, b in zip(_words(original), _words(converted), strict=False) if a != b]
    if not changed or not all(is_plausible(b) and not _mixed_case(b) for _a, b in changed):
        return None
    if not any(_suspicious(a, b) for a, b in changed):
        return None
    return sum(is_syllable(b) for _a, b in changed), -len(converted)


def detect_legacy(text: str, choices: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(encoding, Unicode text) when `text` was typed in TCVN3 or VNI, else None.

    `choices` (match key → choice) is the column's choice list, if any: a value that is not
    a choice but whose conversion is one is legacy even when it looks like Unicode (`Lù` is
    TCVN3 for `Lự`).
    """
    not_a_choice = choices is not None and tone_key(text.casefold()) not in choices
    if not not_a_choice and (_reads_as_unicode(text) or not could_be_legacy(text)):
        return None  # every word reads as Vietnamese already: nothing could be suspicious
    if text.isascii():
        return None
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return None  # letters such as ạ, ư, đ exist only in Unicode
    candidates = {}
    for encoding in ("tcvn3", "vni"):  # on a tie TCVN3, the more common in offices
        converted = unicodedata.normalize("NFC", _convert(text, encoding))
        if converted != text:
            candidates[encoding] = converted
    if not_a_choice:
        assert choices is not None
        for encoding, converted in candidates.items():
            if tone_key(converted.casefold()) in choices:
                return encoding, converted
    best: tuple[tuple[int, int], str, str] | None = None
    for encoding, converted in candidates.items():
        score = _score(text, converted)
        if score is not None and (best is None or score > best[0]):
            best = (score, encoding, converted)
    return None if best is None else (best[1], best[2])


def latin1_only(texts: Sequence[str]) -> np.ndarray:
    """Per text: not ASCII, and nothing beyond Latin-1 (as legacy text always is), computed
    on the code points of all texts at once."""
    flags = np.zeros(len(texts), dtype=bool)
    if not len(texts):
        return flags
    big = "\x00".join(texts)
    if big.isascii():
        return flags
    points = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32)
    seps = np.flatnonzero(points == 0)
    if len(seps) != len(texts) - 1:  # a text holds NUL itself: one by one
        return np.array([not t.isascii() and max(map(ord, t)) <= 0xFF for t in texts])
    starts = np.concatenate([[0], seps + 1])
    ends = np.concatenate([seps, [len(points)]])
    high = np.concatenate([[0], np.cumsum(points > 0xFF)])
    wide = np.concatenate([[0], np.cumsum(points > 0x7F)])
    return ((wide[ends] - wide[starts]) > 0) & ((high[ends] - high[starts]) == 0)


def detect_many(
    texts: Sequence[str], choices: Iterable[str] | None = None
) -> dict[int, tuple[str, str]]:
    """`detect_legacy` over many texts: index → (encoding, Unicode text) for the legacy ones.

    The candidates (non-ASCII texts within Latin-1, and for a choice column the values that
    are not choices) are found with array operations; only those are looked at one by one.
    """
    if not len(texts):
        return {}
    candidates = latin1_only(texts)
    keys = None
    if choices is not None:
        keys = {tone_key(c.casefold()): c for c in choices}
        candidates |= np.array([tone_key(t.casefold()) not in keys for t in texts], dtype=bool)
        candidates &= np.array([not t.isascii() for t in texts], dtype=bool)
    found = {}
    for i in map(int, np.flatnonzero(candidates)):
        hit = detect_legacy(texts[i], keys)
        if hit is not None:
            found[i] = hit
    return found


def to_tcvn3(text: str) -> str:
    """Unicode → TCVN3 as a .VnTime document shows it in Windows-1252 (tests, examples)."""
    back = {u: c for c, u in TCVN3.items() if not (u.isupper() and u not in "ĂÂÊÔƠƯĐ")}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in back:
            out.append(back[ch])
        elif ch.lower() in back and not ch.isascii():
            out.append(back[ch.lower()])  # .VnTime has no toned capitals: lower-case code
        else:
            out.append(ch)
    return "".join(out)


def to_vni(text: str) -> str:
    """Unicode → VNI (Windows) as it shows in Windows-1252 (tests, examples)."""
    back = {u: seq for seq, u in VNI.items()}
    return "".join(back.get(ch, ch) for ch in unicodedata.normalize("NFC", text))
