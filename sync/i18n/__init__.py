"""The message catalogue: every user-facing text, in Vietnamese and English.

One gettext catalogue per language (`vi.po`, `en.po` beside this module), read with
Babel. Two kinds of entries share it:

- texts of the library (findings, feedback, states, errors, CLI) are keyed by a message id
  (`missing_tab`, `state.valid`, `campaign.file_missing`); `vi.po` holds their Vietnamese
  and `en.po` their English text, with `{name}` placeholders: `t("missing_tab", lang, tab=…)`;
- page texts (Flask-Babel, `_("…")` in `webhooks/`) are keyed by their Vietnamese text and
  translated in `en.po`, with `%(name)s` placeholders.

Both languages fall back to Vietnamese, and an unknown id comes back as the id itself, so a
missing entry never raises. How to add a message: docs/messages.md.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

CATALOGUE = Path(__file__).resolve().parent
LANGUAGES = ("vi", "en")
DEFAULT = "vi"

_language: ContextVar[str] = ContextVar("thidua_language", default=DEFAULT)


def po_path(lang: str) -> Path:
    """The catalogue file of `lang` (`sync/i18n/<lang>.po`)."""
    return CATALOGUE / f"{lang}.po"


@cache
def translations(lang: str) -> Translations:
    """The compiled catalogue of `lang`, falling back to Vietnamese (read once per process)."""
    lang = lang if lang in LANGUAGES else DEFAULT
    with po_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    compiled = Translations(buffer)
    if lang != DEFAULT:
        compiled.add_fallback(translations(DEFAULT))
    return compiled


def language() -> str:
    """The language of texts made without an explicit one (errors, CLI): `vi` unless set."""
    return _language.get()


def set_language(lang: str | None) -> Token[str]:
    """Make `lang` the current language (unknown or empty: Vietnamese); the token undoes it
    (`reset_language`)."""
    return _language.set(lang if lang in LANGUAGES else DEFAULT)


def reset_language(token: Token[str]) -> None:
    """Back to the language before `set_language` returned `token`."""
    _language.reset(token)


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[None]:
    """Texts made inside the block are in `lang`."""
    token = _language.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _language.reset(token)


class Keep(dict[str, Any]):
    """Format mapping that leaves unknown `{placeholders}` as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template(key: str, lang: str | None = None) -> str:
    """The unformatted text of message `key` in `lang` (default: the current language)."""
    return translations(lang or language()).gettext(key)


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """Message `key` in `lang` (default: the current language) with `{name}` placeholders
    filled from `params`; placeholders without a value stay as written, `{{ }}` are braces."""
    text = template(key, lang)
    try:
        return text.format_map(Keep(params))
    except (ValueError, IndexError, AttributeError):  # a malformed entry never raises
        return text


def has(key: str, lang: str = DEFAULT) -> bool:
    """Whether the catalogue has a text for message `key` in `lang` itself (no fallback)."""
    compiled = translations(lang)
    return bool(compiled._catalog.get(key))  # GNUTranslations' own entries


def num(value: int, lang: str | None = None) -> str:
    """12345 → '12.345' (Vietnamese) / '12,345' (English)."""
    out = f"{value:,}"
    return out if (lang or language()) == "en" else out.replace(",", ".")
