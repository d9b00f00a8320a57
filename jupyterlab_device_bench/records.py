"""Run records: pure helpers shared by the headless runner (and its tests).

A run record is one entry of ``metadata.device_bench.runs`` in a notebook, described by
``schemas/metadata.schema.json`` (``$defs/run``). The JupyterLab one-click driver writes the
same records with ``source: "jupyterlab"``; the headless runner writes ``source: "headless"``.

Nothing here touches the network, kernels or files other than the bundled schemas. Records
hold no paths, host names or user names: error messages and parameter values go through
:func:`scrub` / :func:`public_params`, and the default machine label is built from the CPU and
device model names of a probe document only.
"""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from . import contract
from .contract import CONTRACT, truncate_units, utf16_length

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
METADATA_KEY = contract.METADATA_KEY
SCHEMA_VERSION = contract.SCHEMA_VERSION
DEFAULT_HISTORY = contract.DEFAULT_HISTORY
SOURCE = CONTRACT["record"]["sources"]["headless"]
MAX_ERROR_CHARS = contract.LIMITS["error"]  # the schema's maxLength for `error`
MAX_LABEL_CHARS = contract.LIMITS["machine_label"]  # the schema's maxLength for `machine_label`
RUNNING = contract.RUNNING
INTERRUPTED = contract.INTERRUPTED

#: The devices a device cell may name (the contract's allowlist, as the device picker's).
DEVICE_PATTERN = contract.DEVICE_PATTERN
#: The devices a run record may name (the schema's pattern: a resolved device, never "auto").
RECORD_DEVICE_PATTERN = contract.RECORD_DEVICE_PATTERN

#: The fields a record copies from the notebook's result document.
RESULT_FIELDS = (
    "settings",
    "data",
    "train_seconds",
    "epoch_seconds",
    "steady_epoch_seconds",
    "samples_per_second",
    "accuracy",
    "versions",
    "cpu",
)


class InvalidDeviceError(ValueError):
    """A device string refused by the allowlist."""

    def __init__(self, device: object) -> None:
        shown = str(device)[:40]
        super().__init__(
            f'"{shown}" is not a device this extension can select: use auto, cpu, mps, cuda, '
            "cuda:N, xpu or xpu:N."
        )
        self.device = device


class MalformedMetadataError(ValueError):
    """Existing ``device_bench`` metadata that cannot be updated without losing what is there."""


class InvalidRecordError(ValueError):
    """A run record that does not validate against the metadata schema."""


# --------------------------------------------------------------------------- devices


def validate_device(device: object) -> str:
    """Return `device` if the allowlist accepts it, else raise InvalidDeviceError."""
    if isinstance(device, str) and DEVICE_PATTERN.match(device) and "\n" not in device:
        return device
    raise InvalidDeviceError(device)


_CELL = CONTRACT["device_cell"]
_LABEL_DISALLOWED = re.compile(_CELL["label_disallowed"])
_LABEL_SPACES = re.compile(_CELL["label_spaces"])


def sanitize_label(label: object) -> str:
    """A device name reduced to text safe in a Python comment (the contract's device_cell rule)."""
    if not isinstance(label, str):
        return ""
    text = _LABEL_SPACES.sub(" ", _LABEL_DISALLOWED.sub(" ", label)).strip(" ")
    return text[: _CELL["label_max"]].strip(" ")


def device_cell_source(device: str, label: str = "") -> str:
    """The device cell's code, exactly as the extension's device picker writes it (the
    contract's device_cell templates)."""
    valid = validate_device(device)
    if valid == "auto":
        return "\n".join(_CELL["auto"])
    name = sanitize_label(label)
    values = {"device": valid, "label": name}
    comment = contract.fill(
        _CELL["comment_with_label"] if name else _CELL["comment_without_label"], values
    )
    return "\n".join(contract.fill(line, {**values, "comment": comment}) for line in _CELL["named"])


# --------------------------------------------------------------------------- parameters

_PARAMS_CELL = CONTRACT["parameters_cell"]
_PARAM_NAME = re.compile(_PARAMS_CELL["name_pattern"])


def is_json_scalar(value: object) -> bool:
    """str, int, float (finite), bool or None: the only values a parameter may take."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    return isinstance(value, float) and math.isfinite(value)


def python_literal(value: object) -> str:
    """A parameter value as the injected-parameters cell writes it (the contract's rule):
    None / True / False, a number, a string as a JSON string literal (valid Python)."""
    literals = _PARAMS_CELL["literals"]
    if value is None:
        return literals["null"]
    if isinstance(value, bool):
        return literals["true"] if value else literals["false"]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        # repr keeps a float a float (1.0, not 1): TypeScript cannot tell 1.0 from 1.
        return repr(value)
    if isinstance(value, str):
        if utf16_length(value) > _PARAMS_CELL["max_string"]:
            raise ValueError(f"a string parameter is longer than {_PARAMS_CELL['max_string']}")
        return json.dumps(value, ensure_ascii=False)
    raise ValueError("parameter values must be strings, numbers, booleans or null")


def parameters_cell_source(params: Mapping[str, Any]) -> str:
    """The injected-parameters cell (the contract's parameters_cell template); names must be
    identifiers, values JSON scalars. Raises ValueError otherwise."""
    lines = [_PARAMS_CELL["header"]]
    for name, value in params.items():
        if not isinstance(name, str) or not _PARAM_NAME.match(name) or not is_json_scalar(value):
            raise ValueError(f"refusing to write parameter {str(name)[:40]!r}")
        literal = python_literal(value)
        lines.append(contract.fill(_PARAMS_CELL["line"], {"name": name, "value": literal}))
    return "\n".join(lines)


_PARAMS = CONTRACT["params"]
_LOOKS_LIKE_PATH = re.compile(_PARAMS["looks_like_path"])
_PARAM_SEPARATORS = re.compile(_PARAMS["separators"])
_DRIVE_PREFIX = re.compile(_PARAMS["drive_prefix"])


def _param_base(value: str) -> str:
    parts = [part for part in _PARAM_SEPARATORS.split(value) if part]
    base = _DRIVE_PREFIX.sub("", parts[-1]) if parts else ""
    return base if base and not base.startswith("~") else _PARAMS["placeholder"]


def public_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as a record keeps them: a string that looks like a path becomes its base
    name (``/data/sets/mnist`` -> ``mnist``, as the notebook records ``data_dir``)."""
    return {
        name: _param_base(value)
        if isinstance(value, str) and _LOOKS_LIKE_PATH.search(value)
        else value
        for name, value in params.items()
    }


# --------------------------------------------------------------------------- scrubbing

_SCRUB = CONTRACT["scrub"]
_ANSI = re.compile(_SCRUB["ansi"])
_PATH = re.compile(_SCRUB["bare_path"])
# A quoted path runs to its closing quote, spaces included ('/Users/Jo Do/x').
_QUOTED_PATH = re.compile(_SCRUB["quoted_path"])
_TRAILING = re.compile(_SCRUB["trailing"])
_SEPARATORS = re.compile(_SCRUB["separators"])
_DRIVE = re.compile(_SCRUB["drive"])
_EDGE_SPACE = re.compile(_SCRUB["whitespace"])


def _scrub_path(path: str) -> str:
    trailing = _TRAILING.search(path).group(0)
    text = path[: len(path) - len(trailing)]
    if not text or text in _SCRUB["kept_whole"]:
        return path
    parts = [part for part in _SEPARATORS.split(text) if part]
    base = parts[-1] if parts else ""
    keep = base and not _DRIVE.match(base)
    return (_SCRUB["base_prefix"] + base if keep else _SCRUB["placeholder"]) + trailing


def _replace_path(match: re.Match[str]) -> str:
    return _scrub_path(match.group(0))


def _replace_quoted_path(match: re.Match[str]) -> str:
    quote = match.group(1)
    return quote + _scrub_path(match.group(2)) + quote


def strip_paths(text: str) -> str:
    """File paths in `text` reduced to ``…/base-name`` (the contract's scrub rule)."""
    return _PATH.sub(_replace_path, _QUOTED_PATH.sub(_replace_quoted_path, text))


def scrub(text: object, private_words: Iterable[str] = ()) -> str:
    """`text` without terminal colours, file paths (reduced to ``…/base-name``) or the given
    private words (host and user names), at most MAX_ERROR_CHARS characters (UTF-16 units)."""
    result = strip_paths(_ANSI.sub("", str(text)))
    for word in sorted({w for w in private_words if w and len(w) >= 3}, key=len, reverse=True):
        result = re.sub(rf"(?<![\w]){re.escape(word)}(?![\w])", "<private>", result)
    result = _EDGE_SPACE.sub("", result)
    if utf16_length(result) > MAX_ERROR_CHARS:
        ellipsis = _SCRUB["ellipsis"]
        result = truncate_units(result, MAX_ERROR_CHARS - utf16_length(ellipsis)) + ellipsis
    return result


# --------------------------------------------------------------------------- machine label

_LABEL = CONTRACT["machine_label"]


def default_machine_label(report: Mapping[str, Any] | None) -> str:
    """The default machine label from a probe document (probe.py), by the contract's
    machine_label rule (as ``defaultMachineLabel`` in src/records/record.ts), so that both name
    one machine alike: the CPU model, then the names of the available devices that are not
    the CPU (each name once, in the probe's order), joined with " + ", at most 200 UTF-16
    units ("AMD Ryzen 9 7950X 16-Core Processor + NVIDIA GeForce RTX 4090"). No probe document
    gives "unknown machine". Never a host name, user name or path.
    """
    if not isinstance(report, Mapping):
        return _LABEL["unknown"]
    devices = report.get("devices")
    names: list[str] = []
    for device in devices if isinstance(devices, list) else []:
        if not isinstance(device, Mapping):
            continue
        if device.get("kind") == "cpu" or not device.get("available"):
            continue
        name = device.get("name")
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    cpu = report.get("cpu")
    model = cpu.get("model") if isinstance(cpu, Mapping) else None
    cpu_text = _LABEL["cpu_fallback"] if model is None else str(model)  # "" stays ""
    return truncate_units(_LABEL["separator"].join([cpu_text, *names]), _LABEL["max"])


def check_machine_label(label: object) -> str:
    """A user-given label: one line of printable text, 1 to MAX_LABEL_CHARS characters."""
    if not isinstance(label, str) or not label.strip():
        raise ValueError("the machine label must not be empty")
    if len(label) > MAX_LABEL_CHARS:
        raise ValueError(f"the machine label is longer than {MAX_LABEL_CHARS} characters")
    if not label.isprintable():
        raise ValueError("the machine label must be one line of printable characters")
    return label.strip()


# --------------------------------------------------------------------------- records


def utc_now() -> str:
    """The current time as ISO 8601 UTC, e.g. 2026-01-01T12:00:00Z (as the notebook writes)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id() -> str:
    return str(uuid.uuid4())


def _result_text(result: Mapping[str, Any], key: str, fallback: str, limit: int = 40) -> str:
    """A text field of the result document as okRecord reads it: a string, cut to `limit`
    characters, else `fallback`."""
    value = result.get(key)
    return truncate_units(value, limit) if isinstance(value, str) else fallback


def _prelude(
    run_id: str | None,
    status: str,
    source: str,
    machine_label: str,
    device: str,
    device_name: str | None,
    profile: str,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The fields every run record starts with, then every result field None (the key order
    of ``recordPrelude`` in src/records/build.ts)."""
    record: dict[str, Any] = {
        "id": run_id or new_run_id(),
        "status": status,
        "source": source,
        "machine_label": machine_label,
        "device": device,
        "device_name": device_name,
        "profile": profile,
        "params": public_params(params),
    }
    for key in RESULT_FIELDS:
        record[key] = None
    return record


def record_from_result(
    result: Mapping[str, Any],
    *,
    params: Mapping[str, Any],
    machine_label: str,
    started_at: str,
    finished_at: str,
    run_id: str | None = None,
    source: str = SOURCE,
) -> dict[str, Any]:
    """An ``ok`` record from the notebook's result document (``device_bench_result``).

    ``started_at`` / ``finished_at`` are the result's own (start of training, end of
    evaluation), as the JupyterLab driver records them (``okRecord`` in
    src/records/record.ts); `started_at` / `finished_at` (the runner's clock) stand in only
    where the result has no such text.
    """
    missing = [
        key for key in ("device", "device_name", "profile", *RESULT_FIELDS) if key not in result
    ]
    if missing:
        raise InvalidRecordError(f"the result document lacks {', '.join(missing)}")
    record = _prelude(
        run_id,
        "ok",
        source,
        machine_label,
        result["device"],
        result["device_name"],
        result["profile"],
        params,
    )
    for key in RESULT_FIELDS:
        record[key] = copy.deepcopy(result[key])
    if "accuracy_note" in result:  # results of earlier notebook versions have none
        note = result["accuracy_note"]
        limit = contract.LIMITS["accuracy_note"]
        record["accuracy_note"] = truncate_units(note, limit) if isinstance(note, str) else None
    record.update(
        started_at=_result_text(result, "started_at", started_at),
        finished_at=_result_text(result, "finished_at", finished_at),
        error=None,
    )
    validate_record(record)
    return record


def record_from_error(
    status: str,
    error: str,
    *,
    device: str,
    profile: str,
    params: Mapping[str, Any],
    machine_label: str,
    started_at: str,
    finished_at: str,
    device_name: str | None = None,
    run_id: str | None = None,
    source: str = SOURCE,
    private_words: Iterable[str] = (),
) -> dict[str, Any]:
    """A ``failed`` or ``cancelled`` record: no timings, the (scrubbed) reason in `error`."""
    if status not in ("failed", "cancelled"):
        raise ValueError(f"status must be failed or cancelled, not {status!r}")
    record = _prelude(run_id, status, source, machine_label, device, device_name, profile, params)
    record.update(
        started_at=started_at,
        finished_at=finished_at,
        error=scrub(error, private_words) or status,
    )
    validate_record(record)
    return record


# --------------------------------------------------------------------------- cell timings


def cell_label(index: int) -> str:
    """How records name a cell: its 1-based position in the notebook."""
    return f"cell {index + 1}"


def _seconds(value: object) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) and value >= 0 else None


def _bytes(value: object) -> dict[str, int]:
    found: dict[str, int] = {}
    if isinstance(value, Mapping):
        for key, n in value.items():
            if isinstance(n, int) and not isinstance(n, bool) and n >= 0:
                found[str(key)[:60]] = n
    return found


def timed_cell(
    index: int, entry: Mapping[str, Any] | None, private_words: Iterable[str] = ()
) -> dict[str, Any]:
    """A record's cell (``$defs/notebook_cell``) from celltiming.py's entry for it (``not_run``
    without one); the same rule as ``timedCell`` in src/records/breakdown.ts (golden
    ``breakdown.json``). The error is scrubbed like the run's own."""
    if entry is None:
        return {
            "index": index,
            "label": cell_label(index),
            "status": "not_run",
            "seconds": None,
            "sync_seconds": None,
            "memory": {},
            "error": None,
        }
    error = entry.get("error") or entry.get("timing_error")
    return {
        "index": index,
        "label": cell_label(index),
        "status": "ok" if entry.get("ok") is True else "failed",
        "seconds": _seconds(entry.get("seconds")),
        "sync_seconds": _seconds(entry.get("sync_seconds")),
        "synchronized": entry.get("synchronized") is True,
        "memory": _bytes(entry.get("memory")),
        "error": (scrub(str(error), private_words)[:300] or None) if error else None,
    }


def peak_memory(cells: Iterable[Mapping[str, Any]], final_rss: object = None) -> dict[str, int]:
    """The largest memory figures of the cells and the kernel's final peak resident set size
    (celltiming's uninstall document), as ``peakMemory`` in breakdown.ts."""
    peak: dict[str, int] = {}
    for cell in cells:
        for key, value in _bytes(cell.get("memory")).items():
            peak[key] = max(peak.get(key, 0), value)
    rss = _bytes({"peak_rss_bytes": final_rss}).get("peak_rss_bytes")
    if rss is not None:
        peak["peak_rss_bytes"] = max(peak.get("peak_rss_bytes", 0), rss)
    return peak


def with_breakdown(
    record: Mapping[str, Any],
    cells: Iterable[Mapping[str, Any]],
    peak: Mapping[str, int],
) -> dict[str, Any]:
    """An MNIST record with its per-cell breakdown and peak memory (the optional ``cells`` and
    ``peak_memory`` of ``$defs/run``), validated; as ``withBreakdown`` in breakdown.ts."""
    out = copy.deepcopy(dict(record))
    out["cells"] = [copy.deepcopy(dict(cell)) for cell in cells]
    out["peak_memory"] = dict(peak)
    validate_record(out)
    return out


#: Which peak memory figure a report shows, the first the record has (device memory before the
#: process's resident set size), as PEAK_FIGURES in breakdown.ts.
PEAK_FIGURES = ("max_allocated_bytes", "driver_allocated_bytes", "peak_rss_bytes")


def slowest_cell(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The cell that took longest among a record's ``ok`` cells, with its share of their
    seconds: ``{index, label, seconds, share}``; None without timed cells (older records)."""
    cells = record.get("cells")
    if not isinstance(cells, list):
        return None
    timed = [
        c
        for c in cells
        if isinstance(c, Mapping) and c.get("status") == "ok" and _seconds(c.get("seconds"))
    ]
    if not timed:
        return None
    total = sum(c["seconds"] for c in timed)
    top = max(timed, key=lambda c: c["seconds"])
    return {
        "index": top["index"],
        "label": top["label"],
        "seconds": top["seconds"],
        "share": top["seconds"] / total,
    }


def peak_figure(peak: object) -> dict[str, Any] | None:
    """The peak memory figure reports show: ``{key, bytes}``, or None."""
    found = _bytes(peak)
    for key in PEAK_FIGURES:
        if found.get(key):
            return {"key": key, "bytes": found[key]}
    return None


# --------------------------------------------------------------------------- schema


@cache
def load_schema(name: str = "metadata.schema.json") -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> Any:
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _first_error(validator: Any, instance: Any) -> str | None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
    return f"{where}: {error.message[:300]}"


def validate_record(record: Mapping[str, Any]) -> None:
    """Raise InvalidRecordError unless `record` is a valid run (metadata schema, $defs/run)."""
    wrapper = {"schema_version": SCHEMA_VERSION, "runs": [record]}
    problem = _first_error(_validator("metadata.schema.json"), wrapper)
    if problem:
        raise InvalidRecordError(f"invalid run record: {problem}")


def check_metadata(value: object, where: str = "the notebook") -> dict[str, Any]:
    """Existing ``metadata.device_bench`` checked and copied, ready to be appended to.

    None (absent) gives a fresh ``{"schema_version": 1, "runs": []}``. A value written by the
    device picker alone (no ``schema_version`` yet) is accepted. Anything the schema refuses
    raises MalformedMetadataError: it is never overwritten. Unknown fields are kept.
    """
    if value is None:
        return {"schema_version": SCHEMA_VERSION, "runs": []}
    if not isinstance(value, Mapping):
        raise MalformedMetadataError(
            f'The "{METADATA_KEY}" metadata of {where} is a {type(value).__name__}, not an '
            "object; fix or remove it first (nothing was changed)."
        )
    metadata = copy.deepcopy(dict(value))
    version = metadata.setdefault("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise MalformedMetadataError(
            f'The "{METADATA_KEY}" metadata of {where} has schema_version {version!r}; this '
            f"version of jupyterlab-device-bench writes {SCHEMA_VERSION} and will not change it "
            "(nothing was changed)."
        )
    metadata.setdefault("runs", [])
    problem = _first_error(_validator("metadata.schema.json"), metadata)
    if problem:
        raise MalformedMetadataError(
            f'The "{METADATA_KEY}" metadata of {where} does not match its schema ({problem}); '
            "fix or remove it first (nothing was changed)."
        )
    return metadata


def append_run(
    metadata: Mapping[str, Any],
    record: Mapping[str, Any],
    history: int = DEFAULT_HISTORY,
    device: str | None = None,
    resolve_running: bool = False,
) -> dict[str, Any]:
    """A copy of checked `metadata` with `record` added, keeping the last `history` runs.

    As the JupyterLab driver's ``withRun`` (src/records/metadata.ts): a ``running`` (or
    ``interrupted``) marker with the record's id takes the record in its place; any other run
    with its id is dropped and the record appended (the same run counts once, the newer copy
    last). With `resolve_running`, every other ``running`` marker becomes ``interrupted``.
    `device`, when given, becomes the metadata's chosen device (as the picker records it).
    Unknown fields stay.
    """
    if not isinstance(history, int) or isinstance(history, bool) or history < 1:
        raise ValueError("history must be a positive integer")
    validate_record(record)
    updated = copy.deepcopy(dict(metadata))
    updated.setdefault("schema_version", SCHEMA_VERSION)
    runs = list(updated.get("runs") or [])
    new = copy.deepcopy(dict(record))
    same = [run.get("id") == new["id"] for run in runs]
    markers = (RUNNING, INTERRUPTED)
    at = next((i for i, run in enumerate(runs) if same[i] and run.get("status") in markers), -1)
    if resolve_running:
        now = utc_now()
        runs = [
            interrupted(run, now) if is_running(run) and not same[i] else run
            for i, run in enumerate(runs)
        ]
    if at >= 0:
        runs = [new if i == at else run for i, run in enumerate(runs) if i == at or not same[i]]
    else:
        runs = [run for i, run in enumerate(runs) if not same[i]] + [new]
    updated["runs"] = runs[-history:]
    if device is not None:
        updated["device"] = validate_device(device)
    return updated


# --------------------------------------------------------------------------- running / interrupted


def is_running(record: object) -> bool:
    """Whether `record` is a ``running`` marker: written when a device starts, replaced by
    that device's final record."""
    return isinstance(record, Mapping) and record.get("status") == RUNNING


def interrupted(record: Mapping[str, Any], finished_at: str) -> dict[str, Any]:
    """A copy of a ``running`` marker as the ``interrupted`` record it becomes."""
    updated = copy.deepcopy(dict(record))
    updated.update(
        status=INTERRUPTED,
        finished_at=finished_at,
        error=contract.INTERRUPTED_ERROR,
    )
    return updated


def resolve_interrupted(runs: Iterable[Mapping[str, Any]], now: str) -> list[dict[str, Any]]:
    """`runs` with every ``running`` marker turned into an ``interrupted`` record (finished at
    `now`, an error saying the run stopped before this device finished): what a marker means
    once the notebook is opened again and no run is in progress. Other runs are copied."""
    return [interrupted(run, now) if is_running(run) else copy.deepcopy(dict(run)) for run in runs]
