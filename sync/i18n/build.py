"""`make translations`: bring the catalogue up to date with the code.

    python -m sync.i18n.build [--check]

- page texts (`_("…")`, `_l("…")`, `gettext`, `ngettext` in `webhooks/**.py` and the Jinja
  templates) are extracted with Babel: new ones are added to `en.po` untranslated, ones no
  page uses any more are dropped;
- message ids written literally in the code (`t("id", …)`, `M.text(lang, "id", …)`,
  `SomeError.of("id", …)`) that the
  catalogue lacks are added untranslated to `vi.po` and `en.po` (ids are never dropped: some
  are built at run time, e.g. `invalid_type.<type>`).

It prints what still needs a translation. `--check` writes nothing and exits 1 when an entry
is missing or untranslated (the test suite checks the same).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from . import LANGUAGES, po_path

ROOT = Path(__file__).resolve().parents[2]
PAGE_METHODS = [("webhooks/**.py", "python"), ("webhooks/templates/**.html", "jinja2")]
PAGE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
CODE_DIRS = ("sync", "webhooks")
MESSAGE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
BRACE = re.compile(r"\{(\w+)[^{}]*\}")
PERCENT = re.compile(r"%\(\w+\)[sd]|%[sd]")


def is_message_id(msgid: str) -> bool:
    """A library message id (`state.valid`), as opposed to a page text keyed by its Vietnamese."""
    return bool(MESSAGE_ID.match(msgid))


def placeholders(text: str, *, page: bool) -> list[str]:
    """The placeholders of a text: `%(name)s` for page texts, `{name}` for message ids."""
    if page:
        return sorted(PERCENT.findall(text))
    return sorted(BRACE.findall(text.replace("{{", "").replace("}}", "")))


def page_texts(root: Path = ROOT) -> set[str]:
    """Every page text marked for translation in `webhooks/` (Python and templates)."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map=PAGE_METHODS, keywords=PAGE_KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def code_message_ids(root: Path = ROOT) -> Iterator[tuple[str, Path, int]]:
    """(id, file, line) of every message id written literally in a catalogue lookup."""
    for top in CODE_DIRS:
        for path in sorted((root / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = _called(node)
                if name in ("t", "i18n.t", "template", "i18n.template") or name.endswith(".of"):
                    key = _literal(node.args[0])
                elif name == "M.text" and len(node.args) > 1:
                    key = _literal(node.args[1])
                else:
                    continue
                if key is not None and is_message_id(key):
                    yield key, path.relative_to(root), node.lineno


def load(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def save(catalog: Catalog, lang: str) -> None:
    with po_path(lang).open("wb") as fh:
        write_po(fh, catalog, no_location=True, sort_output=True)


def untranslated(catalogs: dict[str, Catalog]) -> list[str]:
    """`lang: msgid` of every entry without a translation (Vietnamese page texts need none)."""
    out = []
    for lang, catalog in catalogs.items():
        for message in catalog:
            msgid = message.id
            if not msgid or not isinstance(msgid, str) or message.string:
                continue
            if lang == "en" or is_message_id(msgid):
                out.append(f"{lang}: {msgid}")
    return out


def update(root: Path = ROOT) -> tuple[dict[str, Catalog], list[str]]:
    """The catalogues with new texts added (and unused page texts dropped), and the changes."""
    catalogs = {lang: load(lang) for lang in LANGUAGES}
    changes: list[str] = []
    pages = page_texts(root)
    en = catalogs["en"]
    for msgid in sorted(pages):
        if msgid not in en:
            en.add(msgid)
            changes.append(f"en: + {msgid}")
    for message in list(en):
        old = message.id
        if old and isinstance(old, str) and not is_message_id(old) and old not in pages:
            en.delete(old)
            changes.append(f"en: - {old} (no page uses it)")
    for key in sorted({key for key, _path, _line in code_message_ids(root)}):
        for lang, catalog in catalogs.items():
            if key not in catalog:
                catalog.add(key)
                changes.append(f"{lang}: + {key}")
    return catalogs, changes


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    catalogs, changes = update()
    for line in changes:
        print(line)
    if not check:
        for lang, catalog in catalogs.items():
            save(catalog, lang)
    missing = untranslated(catalogs)
    for line in missing:
        print(f"untranslated {line}")
    counts = ", ".join(
        f"{lang}.po {sum(1 for m in c if m.id)} entries" for lang, c in catalogs.items()
    )
    print(f"{counts}; {len(missing)} untranslated")
    return 1 if check and (changes or missing) else 0


if __name__ == "__main__":
    raise SystemExit(main())
