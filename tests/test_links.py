"""Per-unit signed upload links: what read_link accepts and refuses; `thidua links` output."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync import clock
from sync.campaign import Campaign, load_campaign
from sync.cli import cli
from sync.links import LinkError, campaign_secret, make_link, read_link, unit_links
from tests.service_helpers import make_campaign

SECRET = "links-secret-for-tests"
T0 = datetime(2025, 4, 12, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def campaign_file(tmp_path: Path) -> Path:
    return make_campaign(tmp_path / "c")


@pytest.fixture
def campaign(campaign_file: Path) -> Campaign:
    return load_campaign(campaign_file)


@pytest.fixture(autouse=True)
def _release_clock() -> Iterator[None]:
    yield
    clock.pin(None)


def test_a_valid_link_names_its_unit(campaign: Campaign) -> None:
    link = make_link(campaign, SECRET, campaign.unit("DV2"), T0 + timedelta(days=1))
    assert read_link(campaign, SECRET, link.token, now=T0.timestamp()).id == "DV2"
    assert link.url("https://thidua.example.vn/").endswith(f"/u/{link.token}")
    assert "//u/" not in link.url("https://thidua.example.vn/")


def test_a_tampered_link_is_refused(campaign: Campaign) -> None:
    token = make_link(campaign, SECRET, campaign.unit("DV1"), T0 + timedelta(days=1)).token
    payload, sig = token.rsplit(".", 1)
    # reaching another unit by editing the payload breaks the signature
    other = make_link(campaign, SECRET, campaign.unit("DV2"), T0 + timedelta(days=1)).token
    forged = other.rsplit(".", 1)[0] + "." + sig
    for bad in (forged, token[:-2], payload, "", "not-a-token"):
        with pytest.raises(LinkError, match="không hợp lệ"):
            read_link(campaign, SECRET, bad, now=T0.timestamp())
    with pytest.raises(LinkError, match="không hợp lệ"):  # another secret (rotated)
        read_link(campaign, "rotated-secret", token, now=T0.timestamp())


def test_a_link_of_another_campaign_is_refused(campaign: Campaign, tmp_path: Path) -> None:
    other_file = make_campaign(tmp_path / "other")
    other_file.write_text(
        other_file.read_text(encoding="utf-8").replace("id: svc-test", "id: dot-khac"),
        encoding="utf-8",
    )
    other = load_campaign(other_file)
    token = make_link(other, SECRET, other.unit("DV1"), T0 + timedelta(days=1)).token
    with pytest.raises(LinkError, match="đợt thi đua khác"):
        read_link(campaign, SECRET, token, now=T0.timestamp())


def test_an_expired_link_says_when(campaign: Campaign) -> None:
    token = make_link(campaign, SECRET, campaign.unit("DV1"), T0).token
    assert read_link(campaign, SECRET, token, now=T0.timestamp() - 1).id == "DV1"
    with pytest.raises(LinkError, match=r"hết hạn lúc 09:00 ngày 12/04/2025"):
        read_link(campaign, SECRET, token, now=T0.timestamp() + 1)


def test_a_removed_unit_is_refused(campaign: Campaign, campaign_file: Path) -> None:
    token = make_link(campaign, SECRET, campaign.unit("DV2"), T0 + timedelta(days=1)).token
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(
        "\n".join(line for line in text.splitlines() if "DV2" not in line) + "\n",
        encoding="utf-8",
    )
    fewer = load_campaign(campaign_file)
    with pytest.raises(LinkError, match="không còn trong danh sách"):
        read_link(fewer, SECRET, token, now=T0.timestamp())


def test_unit_links_cover_every_unit(campaign: Campaign) -> None:
    links = unit_links(campaign, SECRET)
    assert [i.unit.id for i in links] == ["DV1", "DV2"]
    assert len({i.token for i in links}) == 2
    assert all(i.expires_at > campaign.forms[0].closes for i in links)


def test_campaign_secret_is_created_once_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("THIDUA_SECRET", raising=False)
    first = campaign_secret(tmp_path)
    assert campaign_secret(tmp_path) == first and len(first) >= 32
    assert (tmp_path / ".thidua" / "secret").stat().st_mode & 0o777 == 0o600


def test_cli_links_json_verifies(
    campaign_file: Path, campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIDUA_SECRET", SECRET)
    result = CliRunner().invoke(
        cli,
        [
            "--now",
            "2025-04-12T09:00:00+07:00",
            "links",
            str(campaign_file),
            "--base-url",
            "https://thidua.example.vn",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [i["unit"] for i in items] == ["DV1", "DV2"] and items[0]["name"] == "Đơn vị Một"
    for item in items:
        assert item["url"].startswith("https://thidua.example.vn/u/")
        token = item["url"].rsplit("/", 1)[1]
        assert read_link(campaign, SECRET, token, now=T0.timestamp()).id == item["unit"]


def test_cli_links_table_csv_and_one_unit(
    campaign_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIDUA_SECRET", SECRET)
    runner = CliRunner()
    table = runner.invoke(cli, ["--now", "2025-04-12T09:00", "links", str(campaign_file)])
    assert table.exit_code == 0, table.output
    assert "Đơn vị Một" in table.output and "http://127.0.0.1:8000/u/" in table.output
    assert "Hiệu lực đến" in table.output
    rows = list(
        csv.reader(
            io.StringIO(
                runner.invoke(
                    cli,
                    [
                        "links",
                        str(campaign_file),
                        "--format",
                        "csv",
                        "--unit",
                        "DV2",
                        "--days",
                        "3",
                    ],
                ).output
            )
        )
    )
    assert rows[0] == ["Mã đơn vị", "Đơn vị", "Đường dẫn"] and [r[0] for r in rows[1:]] == ["DV2"]
    unknown = runner.invoke(cli, ["links", str(campaign_file), "--unit", "NOPE"])
    assert unknown.exit_code == 2 and "DV1, DV2" in unknown.output
    bad_url = runner.invoke(cli, ["links", str(campaign_file), "--base-url", "thidua.vn"])
    assert bad_url.exit_code == 2 and "http://" in bad_url.output


def test_cli_links_warns_for_google_campaigns(
    campaign_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIDUA_SECRET", SECRET)
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(
        text.replace(
            "backend: {kind: local, path: ./workbooks}", "backend: {kind: google, folder_id: f1}"
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["links", str(campaign_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "Google Trang tính" in result.output and "không nhận tệp" in result.output
