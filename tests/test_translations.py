"""The English catalog covers every Vietnamese text of the pages, is compiled, and keeps
the placeholders; `?lang=en` shows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "webhooks" / "translations" / "en" / "LC_MESSAGES"
METHODS = [("webhooks/**.py", "python"), ("webhooks/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _extracted() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _po() -> Any:
    with (CATALOG / "messages.po").open("rb") as fh:
        return read_po(fh)


def test_every_page_text_has_an_english_translation() -> None:
    catalog = _po()
    missing = sorted(m for m in _extracted() if not (catalog.get(m) and catalog.get(m).string))
    assert missing == [], "run `make translations` and translate: " + "; ".join(missing[:10])
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert fuzzy == []


def test_translations_keep_placeholders() -> None:
    for message in _po():
        if message.id and isinstance(message.id, str) and message.string:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(str(message.string))
            ), message.id


def test_compiled_catalog_is_current() -> None:
    with (CATALOG / "messages.mo").open("rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    source = {m.id: m.string for m in _po() if m.id and m.string}
    assert compiled == source, "run `make translations` to compile messages.mo"


def test_english_pages(client: Any) -> None:
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in html and "Đăng nhập trang tổng hợp" not in html
