"""Cross-check: the request the Apps Script add-on sends verifies with webhooks.signing.

Runs sheet_templates/apps_script/Code.js under node (tests/node/print_request.mjs, with
the same Apps Script stand-ins as the node tests) and checks its output in Python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from webhooks.signing import HEADER, SignatureError, sign, verify

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "node" / "print_request.mjs"
NODE = shutil.which("node")

KEY = "tdk1_khoá-riêng-đơn-vị"
HOOK = ("POST", "/hooks/sheets")
NOW_MS = 1_745_000_000_999
T = NOW_MS // 1000

if NODE is None:
    if os.environ.get("CI"):
        pytest.fail(
            "node (>= 20) is required in CI to test the Apps Script add-on; install nodejs",
            pytrace=False,
        )
    pytest.skip(
        "node is not installed: Apps Script signature cross-check skipped", allow_module_level=True
    )


def addon_request(**options: Any) -> dict[str, Any]:
    """The request Code.js would send for an edit, as printed by print_request.mjs."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(SCRIPT), json.dumps(options)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def request_() -> dict[str, Any]:
    return addon_request(
        key=KEY,
        nowMs=NOW_MS,
        spreadsheetId="1AbCdEfGh_ijkLMNop-qrstuVWxyz0123456789",
        sheet="Đại biểu",
        range="B5:D7",
        email="van.thu@ldld-tamduong.example.vn",
    )


def test_addon_signature_verifies_with_python(request_: dict[str, Any]) -> None:
    body = request_["payload"].encode("utf-8")
    header = request_["headers"][HEADER]
    assert verify(KEY, *HOOK, body, header, now=T).t == T
    # same bytes, same header as the Python signer: the hex is lowercase and zero-padded
    assert header == sign(KEY, *HOOK, body, timestamp=T)


def test_addon_request_shape(request_: dict[str, Any]) -> None:
    assert request_["url"] == "https://thidua.example.com/hooks/sheets"
    assert request_["method"] == "post"
    assert request_["contentType"] == "application/json"
    assert request_["muteHttpExceptions"] is True
    assert list(request_["headers"]) == [HEADER]
    payload = json.loads(request_["payload"])
    assert list(payload) == ["spreadsheetId", "sheet", "range", "user", "event"]
    assert payload == {
        "spreadsheetId": "1AbCdEfGh_ijkLMNop-qrstuVWxyz0123456789",
        "sheet": "Đại biểu",
        "range": "B5:D7",
        "user": "van.thu@ldld-tamduong.example.vn",
        "event": "edit",
    }


def test_tampered_body_is_rejected(request_: dict[str, Any]) -> None:
    header = request_["headers"][HEADER]
    tampered = request_["payload"].replace('"edit"', '"submit"').encode()
    assert tampered != request_["payload"].encode()
    with pytest.raises(SignatureError, match="mismatch"):
        verify(KEY, *HOOK, tampered, header, now=T)


def test_wrong_key_other_path_and_stale_timestamp_are_rejected(request_: dict[str, Any]) -> None:
    body = request_["payload"].encode()
    header = request_["headers"][HEADER]
    with pytest.raises(SignatureError, match="mismatch"):
        verify(KEY + "x", *HOOK, body, header, now=T)
    with pytest.raises(SignatureError, match="mismatch"):
        verify(KEY, "POST", "/api/units/x/submit", body, header, now=T)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(KEY, *HOOK, body, header, now=T + 301)


@pytest.mark.parametrize("now_ms", [0, 999, 1_000_000_000_500, 4_102_444_799_999])
def test_timestamp_is_whole_seconds_of_the_clock(now_ms: int) -> None:
    req = addon_request(key="s", nowMs=now_ms, sheet="Sheet1", range="A1")
    header = req["headers"][HEADER]
    assert header.startswith(f"t={now_ms // 1000},v1=")
    body = req["payload"].encode()
    assert verify("s", *HOOK, body, header, now=now_ms // 1000).t == now_ms // 1000
