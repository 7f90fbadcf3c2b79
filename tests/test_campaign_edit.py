"""Writing the campaign file back (sync.campaign_edit): only the edited values change —
comments, key order, quoting, flow style, indentation, line endings stay; the result is
checked like `thidua check` before anything is written; the write is atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.campaign import builtin_dir, load_campaign
from sync.campaign_edit import (
    CampaignFileChanged,
    FormEdit,
    NewUnit,
    UnitEdit,
    edit_campaign,
    file_digest,
    parse_quota,
    parse_whole,
)
from sync.errors import ConfigError

COMPACT = """\
campaign:
  id: compact   # mã đợt
  title: 'Đợt thử'
  organizer: "LĐLĐ tỉnh"
units:
- id: A
  name: Đơn vị A
  staff: 10  # số cán bộ
- id: B
  name: Đơn vị B
  level: huyen

# --- biểu mẫu ---
forms:
- id: f
  template: dai_bieu
  due: 2099-04-20
  grace: 2d

# cuối tệp
"""

WIDE = """\
campaign:
    id: wide
    title: Đợt thử thụt bốn
    organizer: LĐLĐ tỉnh
units:
    -   id: A
        name: Đơn vị A
        quotas:
            f: 3
forms:
    -   id: f
        template: dai_bieu
        due: 2099-04-20T17:00
"""


def _write(tmp_path: Path, text: str, newline: str = "\n", bom: bool = False) -> Path:
    path = tmp_path / "campaign.yaml"
    data = text.replace("\n", newline).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]


def test_sample_campaign_edits_change_only_their_lines(tmp_path: Path) -> None:
    source = builtin_dir("samples") / "laichau-2025" / "campaign.yaml"
    path = tmp_path / "campaign.yaml"
    path.write_bytes(source.read_bytes())
    before = path.read_text(encoding="utf-8")
    result = edit_campaign(
        path,
        [
            UnitEdit("H-SINHO", quotas={"dai_bieu": "18"}, staff="2.450"),
            FormEdit("dai_bieu", due_date="2025-04-25", due_time="17:00", grace="3d"),
        ],
    )
    after = path.read_text(encoding="utf-8")
    assert _changed_lines(before, after) == [
        ("    staff: 2400", "    staff: 2450"),
        ("    quotas: {dai_bieu: 17}", "    quotas: {dai_bieu: 18}"),
        ("    due: 2025-04-20T17:00", "    due: 2025-04-25T17:00"),
        ("    grace: 2d", "    grace: 3d"),
    ]
    assert [(c.id, c.field, c.old, c.new) for c in result.changes] == [
        ("H-SINHO", "staff", 2400, 2450),
        ("H-SINHO", "quotas.dai_bieu", 17, 18),
        ("dai_bieu", "due", "2025-04-20T17:00", "2025-04-25T17:00"),
        ("dai_bieu", "grace", "2d", "3d"),
    ]
    assert result.written and result.digest == file_digest(path)
    assert load_campaign(path).quota("H-SINHO", "dai_bieu") == 18


def test_compact_layout_comments_and_quotes_are_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, COMPACT)
    edit_campaign(
        path,
        [
            UnitEdit("A", staff="12", level="xa", editors="a@x.vn; b@x.vn"),
            UnitEdit("B", level=""),
            FormEdit("f", grace=""),
            NewUnit("C", "Đơn vị C", parent="A", quotas={"f": "2"}),
        ],
    )
    assert path.read_text(encoding="utf-8") == COMPACT.replace(
        "  staff: 10  # số cán bộ",
        "  level: xa\n  editors: [a@x.vn, b@x.vn]\n  staff: 12  # số cán bộ",
    ).replace(
        "  name: Đơn vị B\n  level: huyen\n",
        "  name: Đơn vị B\n- id: C\n  name: Đơn vị C\n  parent: A\n  quotas: {f: 2}\n",
    ).replace("  due: 2099-04-20\n  grace: 2d\n", "  due: 2099-04-20\n")


def test_wide_indentation_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, WIDE, newline="\r\n", bom=True)
    edit_campaign(path, [UnitEdit("A", quotas={"f": "4"}, staff="7")])
    expected = WIDE.replace("        quotas:\n", "        staff: 7\n        quotas:\n").replace(
        "            f: 3", "            f: 4"
    )
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.replace("\n", "\r\n").encode("utf-8")


def test_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, COMPACT)
    stat = path.stat()
    result = edit_campaign(path, [UnitEdit("A", staff="10", level=""), FormEdit("f", grace="2d")])
    assert (result.changes, result.written) == ([], False)
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (UnitEdit("A", quotas={"f": "-1"}), "units[0].quotas.f", "phải ≥ 0 (đang là -1)"),
        (UnitEdit("A", staff="mười"), "units[0].staff", "cần một số nguyên"),
        (
            UnitEdit("A", editors="khong-phai-email"),
            "units[0].editors",
            "không phải địa chỉ e-mail",
        ),
        (FormEdit("f", due_date="2099-02-30"), "forms[0].due", "ngày 30/02/2099 không tồn tại"),
        (FormEdit("f", grace="2 tuần"), "forms[0].grace", "không phải khoảng thời gian"),
        (NewUnit("A", "Trùng mã"), "units[2].id", "mã đơn vị 'A' bị trùng"),
        (NewUnit("C", "Đơn vị C", parent="Z"), "units[2].parent", "'Z' không tồn tại"),
    ],
)
def test_invalid_values_are_refused_with_the_check_message(
    tmp_path: Path, edit: object, path: str, message: str
) -> None:
    file = _write(tmp_path, COMPACT)
    with pytest.raises(ConfigError) as caught:
        edit_campaign(file, [edit])  # type: ignore[list-item]
    found = [
        (i.path, i.file, i.line is not None) for i in caught.value.issues if message in i.message
    ]
    assert found == [(path, str(file), True)]
    assert file.read_text(encoding="utf-8") == COMPACT
    assert sorted(p.name for p in tmp_path.iterdir()) == [".campaign.yaml.lock", "campaign.yaml"]


def test_unknown_unit_or_form(tmp_path: Path) -> None:
    file = _write(tmp_path, COMPACT)
    with pytest.raises(ConfigError, match="Z"):
        edit_campaign(file, [UnitEdit("Z", staff="1")])
    with pytest.raises(ConfigError, match="g"):
        edit_campaign(file, [FormEdit("g", grace="1d")])


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    file = _write(tmp_path, COMPACT)
    seen = file_digest(file)
    file.write_text(COMPACT.replace("staff: 10", "staff: 11"), encoding="utf-8")
    with pytest.raises(CampaignFileChanged):
        edit_campaign(file, [UnitEdit("A", staff="20")], expected=seen)
    assert "staff: 11" in file.read_text(encoding="utf-8")


def test_the_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while replacing leaves the old file whole and no temporary file."""
    file = _write(tmp_path, COMPACT)

    def fail(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ConfigError, match="No space left on device"):
        edit_campaign(file, [UnitEdit("A", staff="20")])
    assert file.read_text(encoding="utf-8") == COMPACT
    assert sorted(p.name for p in tmp_path.iterdir()) == [".campaign.yaml.lock", "campaign.yaml"]


@given(st.integers(min_value=0, max_value=10**9))
def test_whole_numbers_as_organisers_type_them(n: int) -> None:
    for text in (str(n), f"{n:,}", f"{n:,}".replace(",", "."), f" {n:,} ".replace(",", " ")):
        assert parse_whole(text) == n
    assert parse_whole(str(-n - 1)) == -n - 1  # kept, for the loader's "≥ 0" message


def test_quota_values() -> None:
    assert parse_quota("", ["p"]) is None
    assert parse_quota("p", ["p"]) == {"policy": "p"}
    assert parse_quota("q", ["p"]) == "q"  # the loader says why it is wrong
    assert parse_quota("1.5", ["p"]) == "1.5"
