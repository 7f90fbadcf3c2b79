"""The campaign file contract (docs/design.md: Campaign file): accepted keys, and errors that name file, path, line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sync.campaign import load_campaign
from sync.errors import ConfigError

TEMPLATE = """\
id: ds_test
title: Danh sách thử
tab: Danh sách
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
  - {key: gioi_tinh, header: Giới tính, type: choice, choices: [Nam, Nữ], required: true}
  - {key: nam_sinh, header: Năm sinh, type: year, min: 1955, max: 2007}
rules:
  - {kind: unique, columns: [ho_ten, nam_sinh], scope: campaign}
"""

CAMPAIGN = """\
campaign:
  id: thu-2025
  title: Đợt thử
  organizer: LĐLĐ tỉnh
  timezone: Asia/Ho_Chi_Minh
  language: vi
backend:
  kind: local
  path: ./workbooks
quota_policies:
  dai_hoi_co_so:
    kind: tiered
    base: staff
    tiers:
      - {below: 100, share: 1.0}
      - {below: 300, share: 0.7, max: 200}
      - {share: 0.7, max: 300}
units:
  - id: A
    name: Đơn vị A
    parent: null
    editors: [a@example.vn]
    staff: 120
    quotas: {ds: 3, hn: {policy: dai_hoi_co_so}}
  - id: B
    name: Đơn vị B
    parent: A
    staff: 50
    quotas: {ds: 2}
forms:
  - id: ds
    template: ds_test.yaml
    opens: 2025-03-01
    due: 2025-04-20T17:00
    grace: 2d
    lock: true
    rules:
      - {kind: max_rows, quota: true}
      - {kind: min_share, where: {gioi_tinh: Nữ}, share: 0.30, severity: warning}
  - id: hn
    template: ds_test.yaml
    tab: Hội nghị
    due: 2025-03-31
"""


def write(tmp_path: Path, campaign: str = CAMPAIGN, template: str = TEMPLATE) -> Path:
    (tmp_path / "ds_test.yaml").write_text(template, encoding="utf-8")
    path = tmp_path / "campaign.yaml"
    path.write_text(campaign, encoding="utf-8")
    return path


def issues(path: Path) -> list[tuple[str, str, int | None]]:
    with pytest.raises(ConfigError) as info:
        load_campaign(path)
    return [(Path(i.file).name, i.path, i.line) for i in info.value.issues]


def messages(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_campaign(path)
    return str(info.value)


def test_valid_campaign_loads_with_meanings(tmp_path: Path) -> None:
    c = load_campaign(write(tmp_path))
    assert [u.id for u in c.units] == ["A", "B"]
    ds = c.form("ds")
    assert ds.tab == "Danh sách" and c.form("hn").tab == "Hội nghị"
    assert ds.due.isoformat() == "2025-04-20T17:00:00+07:00"
    assert ds.opens is not None and ds.opens.isoformat() == "2025-03-01T00:00:00+07:00"
    assert ds.grace == timedelta(days=2) and ds.lock is True
    assert ds.closes.isoformat() == "2025-04-22T17:00:00+07:00"
    # date-only due means the end of that day in the campaign timezone
    assert c.form("hn").due.isoformat() == "2025-03-31T23:59:59+07:00"
    assert [r.kind for r in ds.rules] == ["unique", "max_rows", "min_share"]
    assert c.quota("A", "ds") == 3
    assert c.quota("A", "hn") == 84  # 70 % of 120 staff
    assert c.quota("B", "hn") is None
    assert c.local_path == tmp_path / "workbooks"
    assert c.children("A")[0].id == "B"


def test_directory_argument_reads_campaign_yaml(tmp_path: Path) -> None:
    write(tmp_path)
    assert load_campaign(tmp_path).id == "thu-2025"


@pytest.mark.parametrize(
    ("old", "new", "path", "line", "text"),
    [
        (
            "  language: vi",
            "  language: vi\n  languge: en",
            "campaign.languge",
            7,
            "không được hỗ trợ",
        ),
        ("quotas: {ds: 2}", "quotas: {ds: -2}", "units[1].quotas.ds", 29, "≥ 0"),
        ("quotas: {ds: 2}", "quotas: {dsx: 2}", "units[1].quotas.dsx", 29, "không có trong forms"),
        (
            "{policy: dai_hoi_co_so}",
            "{policy: khong_co}",
            "units[0].quotas.hn.policy",
            24,
            "không tồn tại",
        ),
        ("  - id: B", "  - id: A", "units[1].id", 25, "bị trùng"),
        ("parent: A", "parent: Z", "units[1].parent", 27, "không tồn tại"),
        (
            "timezone: Asia/Ho_Chi_Minh",
            "timezone: Asia/Hanoi_City",
            "campaign.timezone",
            5,
            "múi giờ",
        ),
        (
            "template: ds_test.yaml\n    tab",
            "template: khong_co\n    tab",
            "forms[1].template",
            41,
            "không có mẫu biểu",
        ),
        ("grace: 2d", "grace: two days", "forms[0].grace", 35, "khoảng thời gian"),
        ("kind: local", "kind: ftp", "backend.kind", 8, "không được hỗ trợ"),
        ("opens: 2025-03-01", "opens: 2025-05-01", "forms[0].due", 34, "phải sau ngày mở"),
        ("editors: [a@example.vn]", "editors: [not-an-email]", "units[0].editors", 22, "e-mail"),
    ],
)
def test_errors_name_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, line: int, text: str
) -> None:
    assert old in CAMPAIGN
    file = write(tmp_path, CAMPAIGN.replace(old, new, 1))
    found = issues(file)
    assert ("campaign.yaml", path, line) in found, found
    assert text in messages(file)


def test_parent_cycle_is_reported(tmp_path: Path) -> None:
    text = CAMPAIGN.replace("    parent: null", "    parent: B")
    message = messages(write(tmp_path, text))
    assert ("vòng" in message and "A → B → A" in message) or "B → A → B" in message


def test_rule_on_unknown_column(tmp_path: Path) -> None:
    text = CAMPAIGN.replace("where: {gioi_tinh: Nữ}", "where: {gioi: Nữ}")
    found = issues(write(tmp_path, text))
    assert ("campaign.yaml", "forms[0].rules[1]", 39) in found
    assert "cột 'gioi'" in messages(write(tmp_path, text))


def test_unknown_choice_list_in_template(tmp_path: Path) -> None:
    template = TEMPLATE.replace("choices: [Nam, Nữ]", "choices: gioi_tinh_khong_co")
    found = issues(write(tmp_path, template=template))
    assert ("ds_test.yaml", "columns[1].choices", 6) in found


def test_unknown_rule_kind_and_template_key(tmp_path: Path) -> None:
    template = TEMPLATE.replace("kind: unique", "kind: uniq").replace("tab: Danh sách", "tabb: X")
    file = write(tmp_path, template=template)
    found = issues(file)
    paths = {p for _f, p, _l in found}
    assert "rules[0].kind" in paths or "rules[0]" in paths
    assert "tabb" in paths and "tab" in paths


@pytest.mark.parametrize(
    ("content", "line", "text"),
    [
        (b"campaign:\n  id: x\n  title: [unclosed\n", 4, "cú pháp YAML"),
        (b"campaign:\n  id: x\n  title: \xff\xfe bad\n", 3, "UTF-8"),
        (b"- just\n- a list\n", 1, "bảng khoá"),
    ],
)
def test_malformed_files(tmp_path: Path, content: bytes, line: int, text: str) -> None:
    file = tmp_path / "campaign.yaml"
    file.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_campaign(file)
    issue = info.value.issues[0]
    assert issue.file.endswith("campaign.yaml") and issue.line == line
    assert text in issue.message


def test_template_that_is_not_yaml(tmp_path: Path) -> None:
    file = write(tmp_path)
    (tmp_path / "ds_test.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    with pytest.raises(ConfigError) as info:
        load_campaign(file)
    assert any(i.file.endswith("ds_test.yaml") for i in info.value.issues)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="không tìm thấy"):
        load_campaign(tmp_path / "nope.yaml")


def test_official_list_keys(tmp_path: Path) -> None:
    """place, parent_body, signers; per template print_title/print_sort; per column print."""
    campaign = CAMPAIGN.replace(
        "  language: vi\n",
        "  language: vi\n  place: Lai Châu\n  parent_body: Tổng Liên đoàn Lao động Việt Nam\n"
        "  signers:\n    - {title: TM. BAN THƯỜNG VỤ, role: CHỦ TỊCH, name: Lò Văn A}\n",
    )
    template = TEMPLATE.replace(
        "tab: Danh sách\n",
        "tab: Danh sách\nprint_title: DANH SÁCH TRÍCH NGANG\n"
        "print_sort: [{key: ho_ten, by: given_name}, nam_sinh]\n",
    ).replace("type: year, min: 1955", "type: year, print: false, min: 1955")
    template = template.replace(
        "required: true}\n  - {key: gioi", "print_width: 30}\n  - {key: gioi"
    )
    c = load_campaign(write(tmp_path, campaign, template))
    assert c.info.place == "Lai Châu"
    assert [(s.title, s.role, s.name) for s in c.info.signers] == [
        ("TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", "Lò Văn A")
    ]
    form = c.form("ds")
    assert form.official_title == "DANH SÁCH TRÍCH NGANG"
    assert form.print_sort == (("ho_ten", "given_name"), ("nam_sinh", "text"))
    assert [col.key for col in form.print_columns] == ["ho_ten", "gioi_tinh"]
    assert form.column("ho_ten").print_width == 30
    bad = template.replace("{key: ho_ten, by: given_name}", "{key: ten, by: given_name}")
    assert "print_sort: không có cột 'ten'" in messages(write(tmp_path, campaign, bad))


def test_default_official_title_is_the_form_title(tmp_path: Path) -> None:
    assert load_campaign(write(tmp_path)).form("ds").official_title == "DANH SÁCH THỬ"
