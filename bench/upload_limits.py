"""What a bad upload costs: seconds to answer and the server's peak RSS.

Runs `thidua serve` (waitress, a real process) on a temporary local campaign and posts, on
a unit's upload page, (1) its workbook with an extra tab of 1.2 M numeric cells (the
attack: ~6 MB on the wire, ~36 MB of sheet XML) and (2) a legitimate workbook of 5,000
filled rows. One fresh server per case, so each peak is the case's own.

    .venv/bin/python bench/upload_limits.py [--cells-rows 20000 --cells-cols 60 --rows 5000]

Prints one line per case: `case=… seconds=… peak_rss_mb=… start_rss_mb=… outcome=…`.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.campaign import load_campaign  # noqa: E402
from sync.links import make_link  # noqa: E402
from sync.stores import open_store  # noqa: E402
from tests.upload_helpers import add_tab, numeric_sheet  # noqa: E402

SECRET = "bench-upload-secret"
TEMPLATE = """\
id: ds
title: Danh sách
tab: Danh sách
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
  - {key: gioi_tinh, header: Giới tính, type: choice, choices: [Nam, Nữ], required: true}
  - {key: nam_sinh, header: Năm sinh, type: year, min: 1955, max: 2007, required: true}
  - {key: chuc_vu, header: Chức vụ, type: text}
  - {key: don_vi, header: Đơn vị công tác, type: text}
  - {key: dien_thoai, header: Điện thoại, type: phone}
"""
CAMPAIGN = """\
campaign: {id: bench-up, title: Đo tải lên, organizer: Bench, timezone: Asia/Ho_Chi_Minh}
backend: {kind: local, path: ./workbooks}
units:
  - {id: DV1, name: Đơn vị Một, quotas: {ds: 6000}}
forms:
  - {id: ds, template: ./ds.yaml, due: 2099-04-20T17:00}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int, field: str) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else float("nan")


def setup(folder: Path) -> Path:
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    campaign = load_campaign(path)
    open_store(campaign).provision(campaign.unit("DV1"))
    return path


def filled(book: Path, rows: int) -> bytes:
    wb = openpyxl.load_workbook(book)
    ws = wb["Danh sách"]
    for r in range(2, rows + 2):
        values = [f"Người thứ {r}", "Nữ" if r % 2 else "Nam", 1960 + r % 40, "Cán bộ", "Phòng A"]
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value)
        ws.cell(row=r, column=6, value=f"09{r:08d}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run_case(name: str, campaign_file: Path, data: bytes, token: str) -> None:
    port = free_port()
    env = {**os.environ, "THIDUA_SECRET": SECRET, "THIDUA_UPLOAD_MAX_BYTES": str(10 * 2**20)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "serve", str(campaign_file), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        http = requests.Session()
        page = http.get(f"{base}/u/{token}", timeout=120).text  # first check, warm
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert csrf, "no CSRF token on the upload page"
        start_rss = rss_mb(proc.pid, "VmRSS")
        t0 = time.perf_counter()
        resp = http.post(
            f"{base}/u/{token}/upload",
            data={"csrf_token": csrf.group(1)},
            files={"workbook": ("so.xlsx", data)},
            allow_redirects=False,
            timeout=600,
        )
        seconds = time.perf_counter() - t0
        peak = rss_mb(proc.pid, "VmHWM")
        after = http.get(f"{base}/u/{token}", timeout=120).text
        notice = re.search(r'class="notice notice--(\w+)"[^>]*>([^<]{0,90})', after)
        outcome = f"{notice.group(1)}: {notice.group(2).strip()}" if notice else "?"
        print(
            f"case={name} bytes={len(data)} status={resp.status_code} seconds={seconds:.2f} "
            f"peak_rss_mb={peak:.0f} start_rss_mb={start_rss:.0f} outcome={outcome!r}",
            flush=True,
        )
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells-rows", type=int, default=20_000)
    parser.add_argument("--cells-cols", type=int, default=60)
    parser.add_argument("--rows", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="thidua-bench-up-") as tmp:
        campaign_file = setup(Path(tmp))
        campaign = load_campaign(campaign_file)
        far = datetime.now(timezone.utc) + timedelta(days=30)
        token = make_link(campaign, SECRET, campaign.unit("DV1"), far).token
        book = campaign_file.parent / "workbooks" / "DV1.xlsx"
        pristine = book.read_bytes()
        cells = args.cells_rows * args.cells_cols
        attack = add_tab(pristine, "Bảng phụ", numeric_sheet(args.cells_rows, args.cells_cols))
        legit = filled(book, args.rows)
        run_case(f"extra_tab_{cells / 1e6:.1f}M_cells", campaign_file, attack, token)
        book.write_bytes(pristine)
        run_case(f"legit_{args.rows}_rows", campaign_file, legit, token)


if __name__ == "__main__":
    main()
