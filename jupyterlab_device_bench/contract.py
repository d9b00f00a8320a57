"""The contract the TypeScript extension and this package share, read from ``contract.json``.

``contract.json`` is data: the device allowlist, cell tags, MIME types, the metadata key and
limits, the device-cell and injected-parameters-cell templates, the path-scrubbing rules and
the machine-label rule. The extension's TypeScript constants are generated from the same file
at build time (scripts/generate-contract.mjs). The few helpers here apply those rules exactly
as src/common/contract.ts does; the golden fixtures in ``tests/golden/`` are checked by pytest
and by jest alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CONTRACT_PATH = Path(__file__).resolve().parent / "contract.json"
CONTRACT: dict[str, Any] = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))

METADATA_KEY: str = CONTRACT["metadata"]["key"]
SCHEMA_VERSION: int = CONTRACT["metadata"]["schema_version"]
DEFAULT_HISTORY: int = CONTRACT["metadata"]["history"]["default"]

LIMITS: dict[str, int] = CONTRACT["record"]["limits"]
STATUSES = CONTRACT["record"]["statuses"]
RUNNING: str = STATUSES["running"]
INTERRUPTED: str = STATUSES["interrupted"]
INTERRUPTED_ERROR: str = STATUSES["interrupted_error"]

TAGS: dict[str, str] = CONTRACT["tags"]
MIME: dict[str, str] = CONTRACT["mime"]

DEVICE_PATTERN = re.compile(CONTRACT["devices"]["cell_pattern"])
RECORD_DEVICE_PATTERN = re.compile(CONTRACT["devices"]["record_pattern"])

_TEMPLATE_FIELD = re.compile(r"\{([a-z_]+)\}")


def fill(template: str, values: Mapping[str, str]) -> str:
    """`template` with every ``{name}`` replaced by ``values[name]``, in one pass."""
    return _TEMPLATE_FIELD.sub(lambda match: values[match.group(1)], template)


def utf16_length(text: str) -> int:
    """The length of `text` as JavaScript counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def truncate_units(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units of `text`; a character the cut would split is dropped
    (the contract's rule for every length limit, so that both languages cut alike)."""
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * limit]
    return units.decode("utf-16-le", "ignore")


def compile_pattern(source: str) -> re.Pattern[str]:
    """A contract regular expression (written without \\w, \\s, \\d: the same in both)."""
    return re.compile(source)


# The line of probe.py and doctor.py that the kernel's copy gets the reason table in.
REASON_TEXTS_LINE = "REASON_TEXTS_JSON = None  # embedded: contract.json reason_texts"


def kernel_source(source: str) -> str:
    """probe.py's or doctor.py's text as a kernel gets it: contract.json ``reason_texts``
    written into its ``REASON_TEXTS_JSON`` line as a string literal (the extension's build
    does the same: scripts/embed-python.mjs)."""
    if source.count(REASON_TEXTS_LINE) != 1:
        raise ValueError("the source has no reason-table line")
    table = json.dumps(CONTRACT["reason_texts"]["codes"], separators=(",", ":"))
    return source.replace(REASON_TEXTS_LINE, "REASON_TEXTS_JSON = " + json.dumps(table))
