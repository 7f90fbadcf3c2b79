"""`thidua allocate` as organisers use it: before any quota exists, for some units, a cap,
and a minimum that is a floor (not a flat grant before the split)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sync.campaign import load_campaign
from sync.cli import cli
from sync.quotas import allocate

# 18,950 staff over six units; the largest has 9,800 (exact share of 25 seats: 12.93)
UNITS = [
    ("TP-LAICHAU", 9800, "huyen"),
    ("H-TAMDUONG", 3000, "huyen"),
    ("H-PHONGTHO", 2500, "huyen"),
    ("CDN-GIAODUC", 1800, "nganh"),
    ("CDN-YTE", 1200, "nganh"),
    ("CD-VIENCHUC", 650, "nganh"),
]


def write_campaign(tmp_path: Path) -> Path:
    units = "".join(
        f"  - id: {uid}  # {level}\n    name: Đơn vị {uid}\n    level: {level}\n    staff: {staff}\n"
        for uid, staff, level in UNITS
    )
    text = (
        "campaign: {id: phan-bo, title: Phân bổ đại biểu, organizer: LĐLĐ tỉnh}\n"
        f"units:\n{units}"
        "forms:\n"
        "  - id: dai_bieu\n"
        "    template: dai_bieu\n"
        "    due: 20/04/2025 17:00\n"
        "    rules:\n"
        "      - {kind: max_rows, quota: true}  # chỉ tiêu chưa có: thidua allocate ghi vào\n"
    )
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["allocate", str(path), "--form", "dai_bieu", *args])
    return result.exit_code, result.output


def seats(output: str) -> dict[str, tuple[str, int]]:
    """Unit id → (exact share, seats) from the printed table."""
    out = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] in {u for u, _s, _l in UNITS}:
            out[cells[0]] = (cells[-2], int(cells[-1]))
    return out


def test_25_seats_give_the_largest_unit_its_exact_share_before_any_quota(tmp_path: Path) -> None:
    path = write_campaign(tmp_path)
    code, output = run(path, "--total", "25", "--min", "1", "--write")
    assert code == 0, output
    assert seats(output) == {
        "TP-LAICHAU": ("12,93", 13),
        "H-TAMDUONG": ("3,96", 4),
        "H-PHONGTHO": ("3,30", 3),
        "CDN-GIAODUC": ("2,37", 2),
        "CDN-YTE": ("1,58", 2),
        "CD-VIENCHUC": ("0,86", 1),
    }
    campaign = load_campaign(path)  # the quota rule now has quotas
    assert campaign.quotas("dai_bieu") == {
        "TP-LAICHAU": 13,
        "H-TAMDUONG": 4,
        "H-PHONGTHO": 3,
        "CDN-GIAODUC": 2,
        "CDN-YTE": 2,
        "CD-VIENCHUC": 1,
    }
    assert "# chỉ tiêu chưa có: thidua allocate ghi vào" in path.read_text(encoding="utf-8")


def test_a_level_restricted_allocation_leaves_other_units_alone(tmp_path: Path) -> None:
    path = write_campaign(tmp_path)
    code, output = run(path, "--total", "10", "--level", "nganh", "--write")
    assert code == 0, output
    # 1,800 / 1,200 / 650 of 3,650 staff: exact 4.93 / 3.29 / 1.78
    assert seats(output) == {
        "CDN-GIAODUC": ("4,93", 5),
        "CDN-YTE": ("3,29", 3),
        "CD-VIENCHUC": ("1,78", 2),
    }
    quotas = {u.id: u.quotas.get("dai_bieu") for u in load_campaign(path).units}
    assert quotas == {
        "TP-LAICHAU": None,
        "H-TAMDUONG": None,
        "H-PHONGTHO": None,
        "CDN-GIAODUC": 5,
        "CDN-YTE": 3,
        "CD-VIENCHUC": 2,
    }


def test_a_list_of_units(tmp_path: Path) -> None:
    code, output = run(write_campaign(tmp_path), "--total", "5", "--units", "H-TAMDUONG,CDN-YTE")
    assert code == 0, output
    assert seats(output) == {"H-TAMDUONG": ("3,57", 4), "CDN-YTE": ("1,43", 1)}


def test_a_cap_per_unit_gives_the_rest_to_the_others(tmp_path: Path) -> None:
    code, output = run(write_campaign(tmp_path), "--total", "25", "--max", "10")
    assert code == 0, output
    assert [n for _share, n in seats(output).values()] == [10, 5, 4, 3, 2, 1]


def test_a_minimum_that_binds_takes_from_the_unit_most_above_its_share() -> None:
    # exact shares 5.0 / 2.7 / 2.0 / 0.3: largest remainder gives 5 / 3 / 2 / 0; D is raised
    # to 1 with the seat of B, the only unit holding more than its exact share
    weights = {"A": 50, "B": 27, "C": 20, "D": 3}
    assert allocate(weights, 10) == {"A": 5, "B": 3, "C": 2, "D": 0}
    assert allocate(weights, 10, minimum=1) == {"A": 5, "B": 2, "C": 2, "D": 1}
    # two units raised: the second seat comes from the unit now most above its share
    assert allocate(weights, 10, minimum=2) == {"A": 4, "B": 2, "C": 2, "D": 2}


def test_allocation_mistakes_exit_2(tmp_path: Path) -> None:
    path = write_campaign(tmp_path)
    code, output = run(path, "--total", "25", "--level", "xa")
    assert code == 2
    assert "Không có đơn vị nào ở cấp 'xa' (các cấp: huyen, nganh)" in output
    code, output = run(path, "--total", "25", "--units", "H-TAMDUONG,H-XYZ")
    assert code == 2
    assert "Không có đơn vị H-XYZ" in output
    code, output = run(path, "--total", "25", "--max", "4")
    assert code == 2
    assert "Tổng 25 vượt mức tối đa 4 × 6 đơn vị = 24" in output


def test_a_form_for_some_units_shares_its_seats_among_those_units_only(tmp_path: Path) -> None:
    path = write_campaign(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "    template: dai_bieu\n",
        "    template: dai_bieu\n    applies_to: [TP-LAICHAU, H-TAMDUONG, H-PHONGTHO]\n",
    )
    path.write_text(text, encoding="utf-8")
    code, output = run(path, "--total", "10", "--write")
    assert code == 0, output
    # 9,800 / 3,000 / 2,500 of 15,300 staff: exact 6.41 / 1.96 / 1.63
    assert seats(output) == {
        "TP-LAICHAU": ("6,41", 6),
        "H-TAMDUONG": ("1,96", 2),
        "H-PHONGTHO": ("1,63", 2),
    }
    quotas = {u.id: u.quotas.get("dai_bieu") for u in load_campaign(path).units}
    assert quotas["CDN-GIAODUC"] is None and quotas["CD-VIENCHUC"] is None
    assert sum(q for q in quotas.values() if q) == 10
