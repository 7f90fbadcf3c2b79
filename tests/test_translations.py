"""The one message catalogue (sync/i18n): every user-facing text has Vietnamese and English,
placeholders survive translation, the code asks only for ids the catalogue has, pages and
the library read the same catalogue, and `language: en` campaigns get English findings."""

from __future__ import annotations

import dataclasses
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


def _vietnamese_in_raises(root: Path) -> list[str]:
    """Vietnamese string literals written directly in `raise` statements (not via the catalogue)."""
    import ast
    import re

    vietnamese = re.compile(
        "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
    )
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            for inner in ast.walk(node.exc):
                if (
                    isinstance(inner, ast.Constant)
                    and isinstance(inner.value, str)
                    and vietnamese.search(inner.value)
                ):
                    found.append(f"{path.relative_to(root.parent)}:{inner.lineno}")
    return found


def test_no_error_text_is_written_outside_the_catalogue() -> None:
    """A `raise` with a Vietnamese literal is a text the English reader never gets:
    put it in sync/i18n (docs/messages.md) and raise `i18n.t("id", …)`."""
    root = Path(__file__).resolve().parents[1]
    found = _vietnamese_in_raises(root / "sync")
    assert [f for f in found if f.split(":")[0] not in NOT_YET_MIGRATED] == []


NOT_YET_MIGRATED = {
    # landed together with the catalogue's last merge; their texts still to be moved
    "sync/audit/official.py",
    "sync/audit/states.py",
    "sync/campaign/model.py",
    "sync/cli/record_cmds.py",
    "sync/cli/sheet_cmds.py",
    "sync/lifecycle.py",
    "sync/operations/review.py",
    "sync/stores/google/__init__.py",
    "sync/uploads.py",
    "sync/users.py",
}


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
