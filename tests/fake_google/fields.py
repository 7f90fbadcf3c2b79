"""Partial responses: parse a `fields` mask ("a,b(c,d),e.f", "a/b/c") and apply it."""

from __future__ import annotations

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
