"""The one message catalogue (sync/i18n): every user-facing text has Vietnamese and English,
placeholders survive translation, the code asks only for ids the catalogue has, pages and
the library read the same catalogue, and `language: en` campaigns get English findings."""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from sync import i18n
from sync.campaign.model import ColumnType
from sync.feedback import FORM_HEAD, LIST_HEAD, STATES, state_label
from sync.i18n import build
from sync.stores.grid import MAX_DATA_ROWS, missing_tab, read_form_grid
from tests.rules_helpers import make_form

CATALOGUES = {lang: build.load(lang) for lang in i18n.LANGUAGES}


def _entries(lang: str) -> dict[str, str]:
    return {
        str(m.id): str(m.string or "") for m in CATALOGUES[lang] if m.id and isinstance(m.id, str)
    }


def test_catalogue_is_up_to_date_with_the_code() -> None:
    """What `make translations` would add or drop: nothing (run it, then translate)."""
    _catalogs, changes = build.update()
    assert changes == [], "run `make translations` and translate: " + "; ".join(changes[:10])


def test_every_text_has_vietnamese_and_english() -> None:
    missing = build.untranslated(CATALOGUES)
    assert missing == [], "translate in sync/i18n/<lang>.po: " + "; ".join(missing[:10])
    fuzzy = [f"{lang}: {m.id}" for lang, c in CATALOGUES.items() for m in c if m.id and m.fuzzy]
    assert fuzzy == []


def test_vietnamese_catalogue_holds_only_message_ids_and_english_has_them_all() -> None:
    vi, en = _entries("vi"), _entries("en")
    assert [k for k in vi if not build.is_message_id(k)] == []
    ids_in_en = {k for k in en if build.is_message_id(k)}
    assert sorted(set(vi) - ids_in_en) == [] and sorted(ids_in_en - set(vi)) == []


def test_every_id_the_code_asks_for_is_in_the_catalogue() -> None:
    vi = _entries("vi")
    unknown = [
        f"{path}:{line} {key}" for key, path, line in build.code_message_ids() if key not in vi
    ]
    assert unknown == []


def test_ids_built_at_run_time_are_in_the_catalogue() -> None:
    """Keys made from data (column types, states, table heads) that no literal names."""
    vi = _entries("vi")
    wanted = [
        *(f"invalid_type.{kind}" for kind in get_args(ColumnType) if kind != "choice"),
        *(f"state.{state}" for state in STATES),
        *(f"feedback.form_head.{key}" for key in FORM_HEAD),
        *(f"feedback.list_head.{key}" for key in LIST_HEAD),
        *(f"severity.{severity}" for severity in ("error", "warning")),
        "duplicate_owner",
        *(f"version.{kind}" for kind in ("submitted", "last_valid", "none")),
    ]
    assert [key for key in wanted if key not in vi] == []


def test_translations_keep_placeholders() -> None:
    vi, en = _entries("vi"), _entries("en")
    for key, text in vi.items():
        assert build.placeholders(text, page=False) == build.placeholders(en[key], page=False), key
    for msgid, text in en.items():
        if not build.is_message_id(msgid) and text:
            assert build.placeholders(msgid, page=True) == build.placeholders(text, page=True), (
                msgid
            )


def test_lookup_fills_placeholders_keeps_unknown_ones_and_follows_the_language() -> None:
    assert i18n.t("state.valid", "vi") == "Hợp lệ, chưa nộp"
    assert i18n.t("state.valid", "en") == "Valid, not submitted"
    assert i18n.t("state.valid", "fr") == "Hợp lệ, chưa nộp"
    assert i18n.t("feedback.errors", "en", count=3) == "✗ 3 errors"
    assert i18n.t("feedback.errors", "vi") == "✗ {count} lỗi"
    assert i18n.t("no.such.id") == "no.such.id"
    assert i18n.language() == "vi"
    with i18n.use_language("en"):
        assert i18n.t("state.locked") == "Locked, not submitted"
    assert i18n.t("state.locked") == "Đã khoá sổ, chưa nộp"
    assert state_label("submitted_late", "en") == "Submitted late"
    assert i18n.num(12345, "vi") == "12.345" and i18n.num(12345, "en") == "12,345"


def test_english_pages(client: Any) -> None:
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in html and "Đăng nhập trang tổng hợp" not in html


# --- structural findings follow the campaign's language -------------------------------------

FORM = make_form()
HEADERS = [c.header for c in FORM.columns]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("vi", "không thấy cột 'Năm sinh' ở dòng tiêu đề 1; cột C đang có tiêu đề 'Năm sinh DL'"),
        ("en", "no column 'Năm sinh' in header row 1; column C is headed 'Năm sinh DL'"),
    ],
)
def test_renamed_header_in_the_campaign_language(lang: str, expected: str) -> None:
    header = [*HEADERS]
    header[2] = "Năm sinh DL"
    sheet = read_form_grid("TP", FORM, [header, ["A", "Nam", 1980]], lang=lang)
    (finding,) = sheet.findings
    assert (finding.code, finding.column, finding.severity) == (
        "header_mismatch",
        "nam_sinh",
        "error",
    )
    assert expected in finding.message


def test_structural_findings_in_english() -> None:
    swapped = [HEADERS[1], HEADERS[0], *HEADERS[2:]]
    rows = [swapped, *([f"Người {i}", "Nam"] for i in range(MAX_DATA_ROWS + 2))]
    sheet = read_form_grid("TP", FORM, rows, lang="en")
    assert [(f.code, f.severity) for f in sheet.findings] == [
        ("header_mismatch", "warning"),
        ("too_many_rows", "error"),
    ]
    order, too_many = (f.message for f in sheet.findings)
    assert order.startswith(f"Tab '{FORM.tab}': the columns are in a different order")
    assert "has 5,002 data rows, more than the limit of 5,000" in too_many
    assert "Delete the 2 extra rows" in too_many
    gone = missing_tab("TP", FORM, ["Sheet1"], "Sheet1", lang="en").findings[0]
    assert gone.code == "missing_tab"
    assert gone.message == (
        f"Tab '{FORM.tab}' ({FORM.title}) is not in the unit's workbook: it was renamed or "
        f"deleted (tabs now: 'Sheet1'). Tab 'Sheet1' has this form's columns: rename it back "
        f"to '{FORM.tab}'."
    )


def test_an_english_campaign_reads_english_findings_from_its_store(tmp_path: Path) -> None:
    from sync.campaign import load_campaign
    from sync.stores.memory import MemoryStore

    base = load_campaign(Path(__file__).parent / "data" / "stores" / "campaign.yaml")
    campaign = dataclasses.replace(base, info=base.info.model_copy(update={"language": "en"}))
    store = MemoryStore(campaign)
    unit = campaign.units[0]
    store.provision(unit)
    form = campaign.forms[0]
    book = store.book(unit.id)
    book.tabs["Sheet1"] = book.tabs.pop(form.tab)
    (finding,) = store.read_unit(unit).forms[form.id].findings
    assert finding.code == "missing_tab"
    assert "is not in the unit's workbook" in finding.message


# --- library errors follow the current language; pages set it to the reader's -------------


def test_errors_are_written_in_the_current_language(tmp_path: Path) -> None:
    from sync import uploads as up
    from sync.users import UserError, check_password

    with pytest.raises(UserError) as info:
        check_password("ngắn")
    assert str(info.value) == "Mật khẩu quá ngắn: cần ít nhất 10 ký tự."
    with i18n.use_language("en"), pytest.raises(UserError) as info:
        check_password("short")
    assert str(info.value) == "Password too short: at least 10 characters."
    with i18n.use_language("en"), pytest.raises(up.UploadRefused) as refused:
        up.check_package(b"")
    assert refused.value.code == "empty"
    assert refused.value.message.startswith("The uploaded file is empty (0 bytes)")


def test_the_upload_page_refuses_in_the_readers_language(app: Any, client: Any) -> None:
    from tests.test_upload_page import post_file, text_of, token_for

    token = token_for(app)
    client.get(f"/u/{token}?lang=en")
    post_file(client, token, "Họ và tên,Năm sinh\nA,1980\n".encode(), "danh-sach.xlsx")
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "This file is a text/CSV file renamed to .xlsx" in text
    client.get(f"/u/{token}?lang=vi")
    post_file(client, token, b"", "rong.xlsx")
    assert "Tệp gửi lên rỗng (0 byte)" in text_of(client.get(f"/u/{token}").get_data(as_text=True))


# --- no user-facing text outside the catalogue ---------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
VIETNAMESE = re.compile(
    "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)
WORDS = re.compile(r"[^\W\d_]{2,}[ ,:;]+[^\W\d_]{2,}")
"""Two words in a row: a sentence, not a code (`empty`) or a separator (`"; "`)."""
CATALOGUE_CALLS = {"t", "i18n.t", "template", "i18n.template", "_", "_l", "gettext", "ngettext"}
CLICK_ERRORS = {"ClickException", "UsageError", "BadParameter", "BadOptionUsage", "FileError"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        inner = _name(func.value)
        return f"{inner}.{func.attr}" if inner else func.attr
    return ""


def _modules(*tops: str) -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8")))
        for top in tops
        for path in sorted((ROOT / top).rglob("*.py"))
    ]


def _user_facing_errors(modules: list[tuple[str, ast.Module]]) -> set[str]:
    """ThiduaError and every class of the project below it, and click's usage errors."""
    bases = {
        node.name: {_name(b).rsplit(".", 1)[-1] for b in node.bases}
        for _path, tree in modules
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    found = {"ThiduaError", *CLICK_ERRORS}
    while True:
        more = {name for name, of in bases.items() if of & found} - found
        if not more:
            return found
        found |= more


def _texts(node: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of the string literals under `node` that a reader would read: an f-string
    as a whole (its holes as `{}`), never the message id of a catalogue lookup."""
    skip: set[int] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call) and inner.args:
            name = _name(inner.func)
            if name in CATALOGUE_CALLS or name.endswith(".of"):
                skip.add(id(inner.args[0]))
            elif name == "M.text" and len(inner.args) > 1:
                skip.add(id(inner.args[1]))
        if id(inner) in skip:
            skip |= {id(n) for n in ast.walk(inner)}
            continue
        if isinstance(inner, ast.JoinedStr):
            skip |= {id(n) for n in ast.walk(inner)} - {id(inner)}
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in inner.values)
            yield inner.lineno, text
        elif isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            yield inner.lineno, inner.value


def _is_text(text: str) -> bool:
    return bool(VIETNAMESE.search(text) or WORDS.search(text))


def _docstring(node: ast.AST) -> ast.Constant | None:
    body = getattr(node, "body", None)
    if (
        isinstance(body, list)
        and body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
    ):
        return body[0].value
    return None


KINDS = ("error", "config", "cli", "mail")


def literal_texts(
    modules: list[tuple[str, ast.Module]], kinds: tuple[str, ...] = KINDS
) -> list[str]:
    """`path:line text` of every user-facing text written in the code instead of the catalogue:

    - error: a `raise` with Vietnamese in it, or a raise of a user-facing error (ThiduaError and
      below, click's usage errors) with words in it, or a JSON/page error with words in it;
    - cli: a click `help=` text, or a Vietnamese `metavar=` or command docstring (help comes
      from the catalogue, `cli.help.<command>[.<option>]`, in the chosen language);
      and text printed by the CLI or the demo (`click.echo`, `secho`, `echo_ok`, `say`, …);
    - mail: any Vietnamese literal in `sync/reminders.py` (subjects and bodies of e-mails);
    - config: a campaign-file problem (`ConfigIssue(…)`, `doc.issue(path, …)`)."""
    errors = _user_facing_errors(modules)
    found: list[str] = []

    def flag(path: str, node: ast.AST, strict: bool, kind: str) -> None:
        if kind not in kinds:
            return
        for line, text in _texts(node):
            if VIETNAMESE.search(text) or (strict and WORDS.search(text)):
                found.append(f"{path}:{line} {text[:60]!r}")

    for path, tree in modules:
        cli = path.startswith("sync/cli/")
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc
                called = _name(exc.func).rsplit(".", 1)[-1] if isinstance(exc, ast.Call) else ""
                flag(path, exc, strict=called in errors, kind="error")
            elif isinstance(node, ast.Call):
                name = _name(node.func).rsplit(".", 1)[-1]
                if name in ("json_error", "page_error"):
                    flag(path, node, strict=True, kind="error")
                if name == "ConfigIssue" or name == "issue":
                    flag(path, node, strict=True, kind="config")
                printed = {"echo", "secho", "echo_ok", "echo_warn", "echo_error", "fail", "say"}
                if (cli or path == "sync/demo.py") and name in printed:
                    flag(path, node, strict=True, kind="cli")
                for kw in node.keywords if cli else ():
                    if kw.arg == "help":
                        flag(path, kw.value, strict=True, kind="cli")
                    elif kw.arg in ("metavar", "prompt"):
                        flag(path, kw.value, strict=False, kind="cli")
            elif (
                "cli" in kinds and cli and isinstance(node, ast.FunctionDef) and node.decorator_list
            ):
                doc = _docstring(node)
                if doc is not None and VIETNAMESE.search(str(doc.value)):
                    found.append(f"{path}:{doc.lineno} docstring of {node.name}")
        if "mail" in kinds and path == "sync/reminders.py":
            docs = {id(_docstring(n)) for n in ast.walk(tree)}
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docs
                    and VIETNAMESE.search(node.value)
                ):
                    found.append(f"{path}:{node.lineno} {node.value[:60]!r}")
    return sorted(set(found))


@pytest.mark.parametrize("kind", KINDS)
def test_no_user_facing_text_is_written_outside_the_catalogue(kind: str) -> None:
    """A text written in the code is one the English reader never gets: put it in sync/i18n
    (docs/messages.md) and raise `SomeError.of("id", …)`, print `i18n.t("id", …)`, give a
    click command its help as `cli.help.<command>[.<option>]`."""
    assert literal_texts(_modules("sync", "webhooks"), (kind,)) == []


def _cli_ids() -> set[str]:
    """The help and metavar ids `sync.cli.language.localize` looks up for the click tree."""
    import click

    from sync.cli import cli
    from sync.cli.language import help_id

    found = {"cli.metavar.options", "cli.metavar.subcommand"}

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        found.add(help_id(path))
        own = "cli.metavar." + help_id(path)[len("cli.help.") :]
        for param in command.params:
            found.add(f"{own}.{param.name}")
            if isinstance(param, click.Argument):
                found.add(f"cli.metavar.argument.{param.name}")
            elif isinstance(param, click.Option) and param.name != "version":  # click.*
                found.add(help_id(path, param.name))
                found.add(f"cli.metavar.type.{param.type.name.replace(' ', '_')}")
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))

    walk(cli, ())
    return found


def used_ids() -> set[str]:
    """Every message id the code can ask for: named in a lookup, written as a string (a
    table of ids, a code), made from an f-string prefix and codes written elsewhere
    (`f"upload.{code}"` with `UploadRefused("empty")`), or a click help/metavar id."""
    named = {key for key, _path, _line in build.code_message_ids()}
    strings: set[str] = set()
    prefixes: set[str] = set()
    for _path, tree in _modules("sync", "webhooks"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
            elif isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
                head = str(node.values[0].value)
                if re.fullmatch(r"[a-z0-9_.]+[._]", head):
                    prefixes.add(head)
    ids = set(_entries("vi"))
    built = {
        key
        for key in ids
        for prefix in prefixes
        if key.startswith(prefix) and set(key[len(prefix) :].split(".")) <= strings
    }
    return named | (strings & ids) | built | _cli_ids()


def test_every_message_id_is_used() -> None:
    """An id no code can ask for is a stale text: use it or delete it from both .po files."""
    used = used_ids()
    assert sorted(key for key in _entries("vi") if key not in used) == []


def test_every_click_command_and_option_has_its_help_in_both_languages() -> None:
    wanted = sorted(key for key in _cli_ids() if key.startswith("cli.help."))
    vi, en = _entries("vi"), _entries("en")
    assert [key for key in wanted if not (vi.get(key) and en.get(key))] == []


def test_the_literal_check_finds_what_it_must() -> None:
    """The check above fails on each kind of literal (so it cannot pass by finding nothing)."""
    source = """
class MyError(ReviewError):
    pass
def f(x):
    raise MyError(f"Form {x} is locked")
def g():
    raise ValueError("không có đơn vị")
def h():
    raise ReviewError.of("review.no_unit", unit="TP")
def k():
    raise UploadRefused("empty")
@cli.command()
@click.option("--unit", help="The unit's id.")
def cmd():
    \"\"\"Duyệt bản nộp.\"\"\"
    click.echo(f"Đã duyệt {x}")
    ConfigIssue(file="", path="", message="needs a level or a tag")
    return json_error(400, "bad", "Missing the spreadsheet id")
"""
    found = literal_texts(
        [
            ("sync/cli/x.py", ast.parse(source.replace('\\"', '"'))),
            ("sync/errors.py", ast.parse("class ReviewError(ThiduaError): pass")),
        ]
    )
    assert [f.split(" ")[0] for f in found] == [
        "sync/cli/x.py:13",
        "sync/cli/x.py:15",
        "sync/cli/x.py:16",
        "sync/cli/x.py:17",
        "sync/cli/x.py:18",
        "sync/cli/x.py:5",
        "sync/cli/x.py:7",
    ]


def test_the_guide_tab_follows_the_campaign_language() -> None:
    from sync import uploads as up
    from sync.stores.layout import guide_rows
    from tests.rules_helpers import make_campaign

    english = make_campaign(language="en")
    rows = guide_rows(english, english.units[0])
    assert rows[0] == ["HOW TO FILL IN THIS WORKBOOK"]
    assert rows[1] == ["Unit", "LĐLĐ huyện Tam Đường (TAMDUONG)"]
    assert ["Quota", 3] in rows and ["Lock", "no lock"] in rows
    vietnamese = make_campaign()
    assert guide_rows(vietnamese, vietnamese.units[0])[1][0] == "Đơn vị"
    assert {"Đơn vị", "Unit"} == up.UNIT_LABELS  # an upload names its unit in either language
