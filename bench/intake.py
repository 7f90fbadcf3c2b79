"""Event intake benchmark (docs/design.md: Performance targets: ≥ 500 requests/s on 2 cores).

Starts `thidua serve` (waitress) on a free loopback port in a subprocess with a temporary
local campaign (100 units, so 30 events per spreadsheet stay within the per-spreadsheet
rate limit), drives signed `/hooks/sheets` events from several client threads
(requests.Session), and prints `requests_per_second: …`. Bounded: EVENTS events or
MAX_SECONDS, whichever comes first. The embedded worker runs as in production.

    .venv/bin/python bench/intake.py [--events 3000] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webhooks.signing import HEADER, sign  # noqa: E402

SECRET = "bench-secret"
TEMPLATE = """\
id: ds
title: Danh sách
tab: Danh sách
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
"""


def write_campaign(folder: Path, units: int) -> Path:
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    lines = [
        "campaign: {id: bench, title: Đo tốc độ, organizer: Bench, timezone: Asia/Ho_Chi_Minh}",
        "backend: {kind: local, path: ./workbooks}",
        "units:",
        *[f"  - {{id: U{i:03d}, name: Đơn vị {i}}}" for i in range(units)],
        "forms:",
        "  - {id: ds, template: ./ds.yaml, due: 2099-01-01T17:00}",
    ]
    path = folder / "campaign.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="thidua-bench-") as tmp:
        campaign = write_campaign(Path(tmp), args.units)
        port = free_port()
        env = {**os.environ, "THIDUA_SECRET": SECRET}
        env.pop("THIDUA_DATABASE_URL", None)
        env.pop("THIDUA_REDIS_URL", None)
        log = open(Path(tmp) / "service.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [sys.executable, "-m", "sync.cli", "serve", str(campaign), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("service did not start: see its log")
                time.sleep(0.1)
            result = drive(base, args)
        finally:
            server.terminate()
            server.wait(10)
            log.close()
    print(json.dumps(result["statuses"]))
    print(f"events: {result['sent']}")
    print(f"seconds: {result['seconds']:.2f}")
    print(f"latency_ms_p50: {result['p50']:.1f}")
    print(f"latency_ms_p99: {result['p99']:.1f}")
    print(f"requests_per_second: {result['rps']:.0f}")


def drive(base: str, args: argparse.Namespace) -> dict[str, object]:
    counter = iter(range(args.events))
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    stop_at = time.monotonic() + args.max_seconds

    def client() -> None:
        session = requests.Session()
        local: list[float] = []
        local_status: Counter[int] = Counter()
        while time.monotonic() < stop_at:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            body = json.dumps(
                {
                    "spreadsheetId": f"U{n % args.units:03d}",
                    "sheet": "Danh sách",
                    "range": f"A{n + 2}",
                    "user": "bench@example.vn",
                    "event": "edit",
                }
            ).encode()
            headers = {HEADER: sign(SECRET, body), "Content-Type": "application/json"}
            t0 = time.perf_counter()
            resp = session.post(f"{base}/hooks/sheets", data=body, headers=headers, timeout=10)
            local.append((time.perf_counter() - t0) * 1000)
            local_status[resp.status_code] += 1
        with lock:
            latencies.extend(local)
            statuses.update(local_status)

    threads = [threading.Thread(target=client) for _ in range(args.threads)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    latencies.sort()
    sent = len(latencies)
    return {
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "sent": sent,
        "seconds": seconds,
        "rps": sent / seconds if seconds else 0.0,
        "p50": latencies[sent // 2] if sent else 0.0,
        "p99": latencies[int(sent * 0.99)] if sent else 0.0,
    }


if __name__ == "__main__":
    main()
