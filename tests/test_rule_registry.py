"""Rule kinds register themselves: a toy kind defined here works in a campaign file end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pytest
from pydantic import Field

from sync import i18n
from sync.campaign import load_campaign
from sync.campaign.rulespec import SPECS, RuleSpecBase
from sync.errors import ConfigError
from sync.rules import KINDS, RuleKind, register
from sync.rules import messages as M
from sync.rules.base import FindingParts, FormContext
from sync.rules.engine import validate
from sync.rules.unique import UniqueRule
from tests.rules_helpers import BEFORE_DUE, frame
from tests.test_campaign_config import CAMPAIGN, TEMPLATE, write


class MaxLengthRule(RuleSpecBase):
    """Toy rule kind: a text column holds at most `length` characters."""

    kind: Literal["max_length"]
    column: str
    length: int = Field(ge=1)

    placeholders: ClassVar[frozenset[str]] = frozenset({"header", "length"})

    def reads(self) -> set[str]:
        return {self.column}


def check_max_length(ctx: FormContext, rule: MaxLengthRule) -> FindingParts:
    col = ctx.columns[rule.column]
    too_long = np.array([len(t) > rule.length for t in col.unique_text], dtype=bool)
    pos = np.flatnonzero(too_long[col.codes] & ctx.evaluated)
    if not len(pos):
        return []
    kw = {"header": ctx.header(rule.column), "length": rule.length}
    message = M.custom(rule.message, "«{header}» dài quá {length} ký tự".format(**kw), **kw)
    return [ctx.cell_findings(pos, rule.column, "too_long", rule.severity, message)]


@pytest.fixture
def toy_kind() -> Iterator[RuleKind]:
    kind = register(
        RuleKind(spec=MaxLengthRule, check=check_max_length, codes=("too_long",), messages=())
    )
    yield kind
    del KINDS["max_length"], SPECS["max_length"]


def test_a_toy_rule_kind_registered_from_a_test_module_runs_from_a_campaign_file(
    tmp_path: Path, toy_kind: RuleKind
) -> None:
    campaign = CAMPAIGN.replace(
        "      - {kind: max_rows, quota: true}\n",
        "      - {kind: max_rows, quota: true}\n"
        "      - {kind: max_length, column: ho_ten, length: 12, severity: warning}\n",
    )
    loaded = load_campaign(write(tmp_path, campaign))
    rows = [
        {"_unit": "A", "ho_ten": "Lò Văn Tú", "gioi_tinh": "Nam"},
        {"_unit": "A", "ho_ten": "Nguyễn Thị Minh Khai", "gioi_tinh": "Nữ"},
    ]
    result = validate(loaded, {"ds": frame(rows)}, now=BEFORE_DUE, units=["A"])
    assert result.report.rows() == [("A", 3, "ho_ten", "too_long", "warning")]
    assert result.report.findings[0].message == "«Họ và tên» dài quá 12 ký tự"


def test_a_toy_rule_kind_reading_an_unknown_column_is_a_config_error(
    tmp_path: Path, toy_kind: RuleKind
) -> None:
    campaign = CAMPAIGN.replace(
        "      - {kind: max_rows, quota: true}\n",
        "      - {kind: max_rows, quota: true}\n      - {kind: max_length, column: ten, length: 5}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_campaign(write(tmp_path, campaign))
    assert "quy tắc 'max_length' dùng cột 'ten' không có trong biểu mẫu" in str(info.value)


def test_unregistered_kind_is_refused_naming_the_registered_kinds(tmp_path: Path) -> None:
    campaign = CAMPAIGN.replace("{kind: max_rows, quota: true}", "{kind: max_length, length: 5}")
    with pytest.raises(ConfigError) as info:
        load_campaign(write(tmp_path, campaign, TEMPLATE))
    text = str(info.value)
    assert "kind 'max_length' không được hỗ trợ" in text
    assert "'unique'" in text and "'registered_in'" in text


def test_a_second_module_cannot_take_an_existing_kind() -> None:
    class OtherUnique(RuleSpecBase):
        kind: Literal["unique"]

    with pytest.raises(ValueError, match="already registered"):
        register(RuleKind(spec=OtherUnique, check=check_max_length, codes=(), messages=()))
    assert KINDS["unique"].spec is UniqueRule


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_built_in_kind_declares_codes_and_messages_in_both_languages(kind: str) -> None:
    rule_kind = KINDS[kind]
    assert rule_kind.codes, kind
    assert SPECS[kind] is rule_kind.spec
    for key in rule_kind.messages:
        assert i18n.has(key, "vi") and i18n.has(key, "en"), key
