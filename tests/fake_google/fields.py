"""Partial responses: parse a `fields` mask ("a,b(c,d),e.f", "a/b/c") and apply it."""

from __future__ import annotations

import copy
from typing import Any

Mask = dict[str, "Mask"]  # empty dict = whole subtree


def parse_mask(text: str) -> Mask:
    """Parse Google's field-mask syntax into a nested dict."""
    pos = 0

    def parse_list() -> Mask:
        nonlocal pos
        out: Mask = {}
        while pos < len(text):
            ch = text[pos]
            if ch == ")":
                return out
            if ch in ", ":
                pos += 1
                continue
            start = pos
            while pos < len(text) and text[pos] not in ",()":
                pos += 1
            path = [p for p in text[start:pos].strip().replace("/", ".").split(".") if p]
            sub: Mask = {}
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = parse_list()
                pos += 1  # ")"
            node = out
            for name in path[:-1]:
                # a parent already selected whole makes deeper paths add nothing
                node = {} if name in node and not node[name] else node.setdefault(name, {})
            if path:
                last = path[-1]
                if last in node and node[last] and sub:
                    node[last].update(sub)
                elif last not in node:
                    node[last] = sub
                elif not sub:
                    node[last] = {}
        return out

    return parse_list()


def apply_mask(value: Any, mask: Mask) -> Any:
    """Keep only the masked fields; lists are masked element-wise."""
    if not mask or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_mask(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, sub in mask.items():
        if key in value:
            out[key] = apply_mask(value[key], sub)
    return out


def mask_mentions(mask: Mask, *path: str) -> bool:
    """True when the mask selects something at or under ``path``."""
    node = mask
    for name in path:
        if not node:
            return True
        if name not in node:
            return "*" in node
        node = node[name]
    return True


def merge_masked(target: dict[str, Any], source: dict[str, Any], mask: Mask) -> None:
    """Copy the masked fields of source into target (absent in source = cleared)."""
    if not mask or "*" in mask:
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for key, sub in mask.items():
        if key not in source or source[key] is None:
            target.pop(key, None)
        elif sub and isinstance(source[key], dict):
            node = target.setdefault(key, {})
            merge_masked(node, source[key], sub)
            if not node:
                target.pop(key)
        else:
            target[key] = copy.deepcopy(source[key])


_COLOR_KEYS = {"red", "green", "blue", "alpha"}


def clean(value: Any) -> Any:
    """Drop nulls (and objects emptied by them) and zero colour channels, as proto3 JSON does."""
    if isinstance(value, list):
        return [clean(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if item is None:
            continue
        cleaned = clean(item)
        if isinstance(item, dict) and item and not cleaned:
            continue
        out[key] = cleaned
    if out and set(out) <= _COLOR_KEYS:
        out = {k: v for k, v in out.items() if v != 0}
    return out
