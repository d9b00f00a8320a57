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
import ntpath
import posixpath
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
METADATA_KEY = "device_bench"
SCHEMA_VERSION = 1
DEFAULT_HISTORY = 50
SOURCE = "headless"
MAX_ERROR_CHARS = 2000  # the schema's maxLength for `error`
MAX_LABEL_CHARS = 200  # the schema's maxLength for `machine_label`

#: The devices a device cell may name (the same allowlist as src/notebook/deviceCell.ts).
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|(cuda|xpu)(:(0|[1-9][0-9]{0,2}))?)$")
#: The devices a run record may name (the schema's pattern: a resolved device, never "auto").
RECORD_DEVICE_PATTERN = re.compile(r"^(cpu|mps|(cuda|xpu)(:[0-9]{1,3})?)$")

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


def sanitize_label(label: object) -> str:
    """A device name reduced to text safe in a Python comment (as deviceCell.ts does it)."""
    if not isinstance(label, str):
        return ""
    text = re.sub(r"[^A-Za-z0-9 .,_()@+/-]+", " ", label)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:80].strip()


def device_cell_source(device: str, label: str = "") -> str:
    """The device cell's code, exactly as the extension's device picker writes it."""
    valid = validate_device(device)
    if valid == "auto":
        return "\n".join(
            [
                "# Device chosen with jupyterlab-device-bench: auto (CUDA, then MPS, then CPU)",
                "import torch",
                "",
                "if torch.cuda.is_available():",
                '    device = torch.device("cuda")',
                "elif torch.backends.mps.is_available():",
                '    device = torch.device("mps")',
                "else:",
                '    device = torch.device("cpu")',
            ]
        )
    name = sanitize_label(label)
    comment = f"{name} ({valid})" if name else valid
    return "\n".join(
        [
            f"# Device chosen with jupyterlab-device-bench: {comment}",
            "import torch",
            "",
            f'device = torch.device("{valid}")',
        ]
    )


# --------------------------------------------------------------------------- parameters


def is_json_scalar(value: object) -> bool:
    """str, int, float (finite), bool or None: the only values a parameter may take."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text or "\\" in text or text.startswith("~") or bool(re.match(r"^[A-Za-z]:", text))
    )


def _base_name(path: str) -> str:
    """The last component of a POSIX or Windows path ('' when there is none)."""
    trimmed = path.rstrip("/\\")
    return ntpath.basename(posixpath.basename(trimmed)) if trimmed else ""


def public_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as a record keeps them: a string that looks like a path becomes its base
    name (``/data/sets/mnist`` -> ``mnist``, as the notebook records ``data_dir``)."""
    public = {}
    for name, value in params.items():
        if isinstance(value, str) and _looks_like_path(value):
            base = _base_name(value)
            value = base if base and not base.startswith("~") else "<path>"
        public[name] = value
    return public


# --------------------------------------------------------------------------- scrubbing

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Absolute POSIX paths (not the // of URLs, not 1/2), ~ paths, ./ and ../ paths, Windows paths.
_PATH = re.compile(
    r"""(?<![\w:/.\\~…])(?:~|\.{1,2})?/[^\s'"`<>|,;()\[\]{}]+"""
    r"""|(?<![\w])[A-Za-z]:\\[^\s'"`<>|,;()\[\]{}]*"""
    r"""|\\\\[^\s'"`<>|,;()\[\]{}]+"""
)


# A quoted path runs to its closing quote, spaces included ('/Users/Jo Do/x'), as
# src/benchmark/record.ts's QUOTED_PATH does.
_QUOTED_PATH = re.compile(
    r"""(['"])((?:~|\.{1,2})?/(?!/)[^'"\r\n]*|[A-Za-z]:[\\/][^'"\r\n]*|\\\\[^'"\r\n]*)\1"""
)


def _scrub_path(path: str) -> str:
    text = path.rstrip(".:")
    trailing = path[len(text) :]
    if not text or text in ("/", "~/", "./", "../"):
        return path
    base = _base_name(text)
    return ("…/" + base if base and not re.fullmatch(r"[A-Za-z]:", base) else "<path>") + trailing


def _replace_path(match: re.Match[str]) -> str:
    return _scrub_path(match.group(0))


def _replace_quoted_path(match: re.Match[str]) -> str:
    quote = match.group(1)
    return quote + _scrub_path(match.group(2)) + quote


def scrub(text: object, private_words: Iterable[str] = ()) -> str:
    """`text` without terminal colours, file paths (reduced to ``…/base-name``) or the given
    private words (host and user names), at most MAX_ERROR_CHARS characters."""
    result = _ANSI.sub("", str(text))
    result = _QUOTED_PATH.sub(_replace_quoted_path, result)
    result = _PATH.sub(_replace_path, result)
    for word in sorted({w for w in private_words if w and len(w) >= 3}, key=len, reverse=True):
        result = re.sub(rf"(?<![\w]){re.escape(word)}(?![\w])", "<private>", result)
    result = result.strip()
    if len(result) > MAX_ERROR_CHARS:
        result = result[: MAX_ERROR_CHARS - 1] + "…"
    return result


# --------------------------------------------------------------------------- machine label


def _js_slice(text: str, length: int) -> str:
    """``text.slice(0, length)`` as JavaScript counts: in UTF-16 code units (a character
    outside the Basic Multilingual Plane counts twice; half of one is dropped)."""
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * length]
    return units.decode("utf-16-le", "ignore")


def default_machine_label(report: Mapping[str, Any] | None) -> str:
    """The default machine label from a probe document (probe.py), by the rule of the
    JupyterLab driver (``defaultMachineLabel`` in src/benchmark/record.ts), so that both name
    one machine alike: the CPU model, then the names of the available devices that are not
    the CPU (each name once, in the probe's order), joined with " + ", at most 200 characters
    ("AMD Ryzen 9 7950X 16-Core Processor + NVIDIA GeForce RTX 4090"). No probe document
    gives "unknown machine". Never a host name, user name or path.
    """
    if not isinstance(report, Mapping):
        return "unknown machine"
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
    cpu_text = "CPU" if model is None else str(model)  # `model ?? 'CPU'`: "" stays ""
    return _js_slice(" + ".join([cpu_text, *names]), MAX_LABEL_CHARS)


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
    return _js_slice(value, limit) if isinstance(value, str) else fallback


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
    src/benchmark/record.ts); `started_at` / `finished_at` (the runner's clock) stand in only
    where the result has no such text.
    """
    missing = [
        key for key in ("device", "device_name", "profile", *RESULT_FIELDS) if key not in result
    ]
    if missing:
        raise InvalidRecordError(f"the result document lacks {', '.join(missing)}")
    record: dict[str, Any] = {
        "id": run_id or new_run_id(),
        "status": "ok",
        "source": source,
        "machine_label": machine_label,
        "device": result["device"],
        "device_name": result["device_name"],
        "profile": result["profile"],
        "params": public_params(params),
    }
    for key in RESULT_FIELDS:
        record[key] = copy.deepcopy(result[key])
    if "accuracy_note" in result:  # results of earlier notebook versions have none
        note = result["accuracy_note"]
        record["accuracy_note"] = _js_slice(note, 300) if isinstance(note, str) else None
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
    record.update(
        started_at=started_at,
        finished_at=finished_at,
        error=scrub(error, private_words) or status,
    )
    validate_record(record)
    return record


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
) -> dict[str, Any]:
    """A copy of checked `metadata` with `record` appended, keeping the last `history` runs.

    A record whose id is already there replaces it (the same run counts once). `device`, when
    given, becomes the metadata's chosen device (as the picker records it). Unknown fields stay.
    """
    if not isinstance(history, int) or isinstance(history, bool) or history < 1:
        raise ValueError("history must be a positive integer")
    validate_record(record)
    updated = copy.deepcopy(dict(metadata))
    updated.setdefault("schema_version", SCHEMA_VERSION)
    runs = [run for run in updated.get("runs") or [] if run.get("id") != record["id"]]
    runs.append(copy.deepcopy(dict(record)))
    updated["runs"] = runs[-history:]
    if device is not None:
        updated["device"] = validate_device(device)
    return updated
