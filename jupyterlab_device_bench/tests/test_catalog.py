"""The zh_CN catalog covers every string a user can see.

Every ``trans.__`` / ``trans._n`` / ``trans._p`` call in ``src/`` must take string literals
(else no extractor can find its text), and each of those strings, as well as every ``title``
and ``description`` of ``schema/plugin.json``, must have a non-empty translation in the
catalog that ships in the wheel (``jupyterlab_device_bench/locale/zh_CN/LC_MESSAGES/
jupyterlab_device_bench.json``, compiled by ``make catalog`` from the ``.po`` beside it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "jupyterlab_device_bench"
CATALOG = ROOT / DOMAIN / "locale" / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.json"
SKIP_DIRS = {"__tests__", "__faults__", "_generated"}

# A JavaScript string literal in single or double quotes (no template literals: those may
# hold ${} and cannot be looked up).
_LITERAL = r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\""""
# Any receiver that ends in "trans"; jupyterlab-translate only sees these two spellings
# (it misses options.trans.__, for one).
_CALL = re.compile(r"([\w.]*\btrans)\.(__|_n|_p)\(")
_SEEN_RECEIVERS = {"trans", "this._trans"}
_ESCAPES = {"n": "\n", "t": "\t", "'": "'", '"': '"', "\\": "\\", "`": "`"}


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _literals(text: str, start: int, count: int) -> list[str] | None:
    """The first ``count`` arguments at ``start`` when they are all string literals."""
    found: list[str] = []
    pos = start
    for i in range(count):
        match = re.compile(r"\s*(" + _LITERAL + r")\s*" + ("," if i < count - 1 else "[,)]")).match(
            text, pos
        )
        if not match:
            return None
        found.append(_unquote(match.group(1)))
        pos = match.end()
    return found


def source_strings() -> tuple[set[str], list[str]]:
    """(msgids used in src/, calls whose arguments are not literals)."""
    msgids: set[str] = set()
    bad: list[str] = []
    files = [
        p
        for p in sorted((ROOT / "src").rglob("*"))
        if p.suffix in {".ts", ".tsx"} and not SKIP_DIRS.intersection(p.parts)
    ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for call in _CALL.finditer(text):
            kind = call.group(2)
            args = _literals(text, call.end(), 2 if kind in {"_n", "_p"} else 1)
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, call.start()) + 1}"
            if args is None or call.group(1) not in _SEEN_RECEIVERS:
                bad.append(where)
            elif kind == "_p":
                msgids.add(args[1])
            else:
                msgids.add(args[0])
    return msgids, bad


def schema_strings() -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"title", "description"} and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads((ROOT / "schema" / "plugin.json").read_text(encoding="utf-8")))
    return found


def catalog() -> dict[str, str]:
    """msgid -> translation; context-qualified keys (ctx\\x04msgid) count for their msgid."""
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for key, value in data.items():
        if key == "" or not isinstance(value, list) or not value:
            continue
        msgid = key.split("\x04", 1)[-1]
        found[msgid] = value[0] or found.get(msgid, "")
    return found


def test_the_scanner_finds_what_the_panel_says():
    msgids, _ = source_strings()
    # Single-line, multi-line (prettier), plural and the sidebar's own strings.
    for expected in [
        "PyTorch devices",
        "Recorded runs",
        "The kernel did not answer in time. Its first import of torch can take longer than the "
        "probe timeout (Settings, Device Bench).",
        "%1 invalid run record left out",
        "No GPU was found for this kernel; it will run on the CPU (%1).",
    ]:
        assert expected in msgids
    assert len(msgids) > 150


def test_every_translated_call_takes_literals():
    _, bad = source_strings()
    assert bad == [], (
        f"trans calls whose text the extractor cannot see (use string literals, "
        f"and call trans.__ or this._trans.__): {bad}"
    )


@pytest.mark.parametrize("origin", ["src", "schema"])
def test_every_string_has_a_chinese_translation(origin):
    wanted = source_strings()[0] if origin == "src" else schema_strings()
    have = catalog()
    missing = sorted(m for m in wanted if not have.get(m))
    assert missing == [], f"missing from {CATALOG.name} (run make catalog): {missing}"


def test_the_catalog_is_chinese_and_names_its_domain():
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    assert data[""]["domain"] == DOMAIN
    # JupyterLab's Gettext files messages under this header and looks them up under the UI
    # locale ("zh-CN"): Babel's "zh-Hans-CN" would load and never match (the .po's
    # Language header must say zh_CN).
    assert data[""]["language"] == "zh-CN"
    have = catalog()
    assert re.search(r"[\u4e00-\u9fff]", have["PyTorch devices"])
    assert "显卡" in have["No GPU was found for this kernel; it will run on the CPU (%1)."]
    # Placeholders survive translation.
    for msgid, text in have.items():
        assert sorted(re.findall(r"%\d", msgid)) == sorted(re.findall(r"%\d", text)), msgid


def test_the_entry_point_points_jupyterlab_at_the_package():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."jupyterlab.locale"]' in text
    assert f'{DOMAIN} = "{DOMAIN}"' in text
