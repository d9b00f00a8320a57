"""Run records from a notebook that plain papermill executed (docs/headless.md#papermill).

``papermill mnist_bench.ipynb out.ipynb -p profile quick`` leaves no ``device_bench`` metadata:
the run is in the result cell's output (``RESULT_MIME``) and papermill's own metadata
(``metadata.papermill``: parameters, start and end times, whether a cell raised). This module
turns such a notebook into one run record with ``source: "papermill"``, by the contract's
``papermill`` rule (contract.json), which the extension's report reader applies alike
(``papermillRuns`` in src/records/papermill.ts; the golden fixture ``tests/golden/papermill.json``
holds both to it).

Pure: no kernels, no files. Nothing of papermill's metadata that names a path (``input_path``,
``output_path``, ``environment_variables``) is copied; parameters go through
:func:`records.public_params`, errors through :func:`records.scrub`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import contract, records
from .contract import CONTRACT, truncate_units

RULE = CONTRACT["papermill"]
SOURCE = CONTRACT["record"]["sources"]["papermill"]
METADATA = RULE["metadata_key"]
_TIME = re.compile(RULE["time_pattern"])
_DEVICE_LINE = re.compile(RULE["device_line"])
_LABEL = re.compile(RULE["label_pattern"])
RESULT_TAG = contract.TAGS["result"]
MACHINE_TAG = contract.TAGS["machine"]
RESULT_MIME = contract.MIME["result"]


class MalformedPapermillError(ValueError):
    """``metadata.papermill`` that is there but cannot be read: nothing is made from it."""


def is_papermill_notebook(nb: object) -> bool:
    """Whether papermill executed `nb` (it has ``metadata.papermill``)."""
    metadata = nb.get("metadata") if isinstance(nb, Mapping) else None
    return isinstance(metadata, Mapping) and METADATA in metadata


def _time(value: object) -> str | None:
    """papermill's ISO time (UTC, with or without offset or fraction) as ``...T..:..:..Z``."""
    match = _TIME.match(value) if isinstance(value, str) else None
    return match.group(0) + "Z" if match else None


def _tags(cell: Mapping[str, Any]) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, Mapping) else None
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _cell_name(cells: list[Mapping[str, Any]], index: int) -> str:
    tags = [tag for tag in _tags(cells[index]) if tag != "papermill-error-cell-tag"]
    return f"cell {tags[0]}" if tags else f"cell {index + 1}"


def _outputs(cell: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    outputs = cell.get("outputs")
    return [o for o in outputs if isinstance(o, Mapping)] if isinstance(outputs, list) else []


def _status(cell: Mapping[str, Any]) -> object:
    metadata = cell.get("metadata")
    papermill = metadata.get("papermill") if isinstance(metadata, Mapping) else None
    return papermill.get("status") if isinstance(papermill, Mapping) else None


def _result(cells: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The result document the result-tagged cell displayed (the last such output), or None."""
    for cell in cells:
        if cell.get("cell_type") == "code" and RESULT_TAG in _tags(cell):
            found = [
                o["data"][RESULT_MIME]
                for o in _outputs(cell)
                if isinstance(o.get("data"), Mapping) and RESULT_MIME in o["data"]
            ]
            if found and isinstance(found[-1], Mapping):
                return found[-1]
    return None


def _failure(cells: list[Mapping[str, Any]]) -> str | None:
    """``ename: evalue (cell tag)`` of the first cell that raised, or None."""
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        errors = [o for o in _outputs(cell) if o.get("output_type") == "error"]
        if errors or _status(cell) == RULE["failed_cell_status"]:
            error = errors[0] if errors else {}
            text = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".rstrip(": ")
            return f"{text} ({_cell_name(cells, index)})"
    return None


def _device(cells: list[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """(device, name) as the machine cell printed them (``device: cuda:0 (name), torch …``)."""
    for cell in cells:
        if MACHINE_TAG not in _tags(cell):
            continue
        for output in _outputs(cell):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                text = output.get("text")
                text = "".join(text) if isinstance(text, list) else text
                for line in text.split("\n") if isinstance(text, str) else []:
                    match = _DEVICE_LINE.search(line)
                    if match and records.RECORD_DEVICE_PATTERN.match(match.group(1)):
                        return match.group(1), match.group(2) or None
    return None, None


def _label(
    parameters: Mapping[str, Any], result: Mapping[str, Any] | None, override: str | None
) -> str:
    if override is not None:
        return records.check_machine_label(override)
    limit = CONTRACT["machine_label"]["max"]
    value = parameters.get(RULE["label_parameter"])
    if isinstance(value, str) and _LABEL.fullmatch(value):
        return truncate_units(value, limit)
    cpu = result.get("cpu") if result is not None else None
    model = cpu.get("model") if isinstance(cpu, Mapping) else None
    if isinstance(model, str) and model:
        return truncate_units(model, limit)
    return CONTRACT["machine_label"]["unknown"]


def papermill_record(
    nb: Mapping[str, Any],
    machine_label: str | None = None,
    private_words: Iterable[str] = (),
) -> dict[str, Any]:
    """The run record of a notebook papermill executed: ``ok`` when the result cell displayed
    a result and no cell raised, else ``failed`` with the cell that raised (or that papermill
    stopped before the end). Raises MalformedPapermillError when ``metadata.papermill`` is not
    papermill's (not an object, no start time, parameters not an object, no cells)."""
    metadata = nb.get("metadata") if isinstance(nb, Mapping) else None
    papermill = metadata.get(METADATA) if isinstance(metadata, Mapping) else None
    if not isinstance(papermill, Mapping):
        raise MalformedPapermillError(f"metadata.{METADATA} must be the object papermill writes")
    run_id = papermill.get("start_time")
    started = _time(run_id)
    if started is None:
        raise MalformedPapermillError(
            f"metadata.{METADATA}.start_time is not papermill's time (an ISO date and time)"
        )
    parameters = papermill.get("parameters", {})
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise MalformedPapermillError(f"metadata.{METADATA}.parameters is not an object")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise MalformedPapermillError("the notebook has no list of cells")
    cells = [cell for cell in cells if isinstance(cell, Mapping)]
    finished = _time(papermill.get("end_time"))
    params = {name: value for name, value in parameters.items() if records.is_json_scalar(value)}
    result = _result(cells)
    label = _label(parameters, result, machine_label)
    ident = truncate_units(RULE["id_prefix"] + run_id, contract.LIMITS["id"])
    # What the record says whether or not the run gave a result.
    run: dict[str, Any] = {
        "params": params,
        "machine_label": label,
        "started_at": started,
        "finished_at": finished or started,
        "run_id": ident,
        "source": SOURCE,
    }
    failure = _failure(cells)
    if failure is None and result is not None and not papermill.get("exception"):
        try:
            return records.record_from_result(result, **run)
        except records.InvalidRecordError as exc:
            failure = f"the notebook's result does not make a valid run record: {exc}"
    if failure is None:
        failure = RULE["unfinished"] if finished is None else "the result cell displayed no result"
    device, name = _device(cells)
    if device is None:
        device, failure = "cpu", f"{failure} {RULE['unresolved_note']}"
    profile = params.get("profile")
    return records.record_from_error(
        "failed",
        failure,
        device=device,
        device_name=name,
        profile=truncate_units(profile, contract.LIMITS["profile"])
        if isinstance(profile, str) and profile
        else "unknown",
        private_words=private_words,
        **run,
    )
