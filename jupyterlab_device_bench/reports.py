"""Run records from files, for machines without a browser: ``records-from-notebook`` and
``merge-reports`` (docs/headless.md, docs/deployment.md).

A source is what the extension's _Merge Timing Reports_ reads (``readSourceFile`` in
src/records/validate.ts): a notebook (its ``metadata.device_bench.runs``; a notebook plain
papermill executed also gives its run, see papermill_records.py), an exported JSON report
(``report.schema.json``) or a bare ``device_bench`` object. Every record is validated one at
a time: an invalid one is listed with its source and index, never dropped silently, and never
hides the valid ones.

``merge-reports`` writes the JSON report the extension's export writes (``kind:
"device-bench-report"``, valid against ``report.schema.json``): the distinct runs (a run id
seen again counts once, the first copy kept), the sources' base names, what reading them left
out (``invalid``) and their problems (``warnings``). The figures (medians, speed-ups) and the
CSV, Markdown and HTML reports are the extension's: open the merged JSON with _Merge Timing
Reports_, or merge it there with more notebooks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import papermill_records, records

REPORT_KIND = "device-bench-report"


@dataclass
class Source:
    """What reading one file gave."""

    name: str  # the file's base name (never a path)
    runs: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)  # {source, index, reason}
    problems: list[str] = field(default_factory=list)


def _read_runs(value: object, source: Source, where: str) -> None:
    if not isinstance(value, Mapping):
        reason = f"{where} is not an object; no run could be read"
        source.problems.append(reason)
        source.invalid.append({"source": source.name, "index": -1, "reason": reason})
        return
    version = value.get("schema_version")
    if version is not None and version != records.SCHEMA_VERSION:
        source.problems.append(
            f"{where} has schema_version {str(version)[:30]}; runs that match version "
            f"{records.SCHEMA_VERSION} are read"
        )
    runs = value.get("runs", [])
    if not isinstance(runs, list):
        reason = f"{where}: runs is not an array; no run could be read"
        source.problems.append(reason)
        source.invalid.append({"source": source.name, "index": -1, "reason": reason})
        return
    now = records.utc_now()
    for index, run in enumerate(runs):
        # A leftover running marker reads as interrupted, as in the extension's reports.
        run = records.interrupted(run, now) if records.is_running(run) else run
        try:
            if not isinstance(run, Mapping):
                kind = type(run).__name__
                raise records.InvalidRecordError(f"a run record must be an object, not {kind}")
            records.validate_record(run)
        except records.InvalidRecordError as exc:
            source.invalid.append({"source": source.name, "index": index, "reason": str(exc)})
        else:
            source.runs.append(dict(run))
    bad = sum(1 for entry in source.invalid if entry["index"] >= 0)
    if bad:
        source.problems.append(f"{bad} of {len(runs)} run records are not valid and were left out")


def read_source(
    name: str, doc: object, machine_label: str | None = None, private_words: Iterable[str] = ()
) -> Source:
    """The runs of one parsed file (`name`: its base name), as the extension reads it."""
    source = Source(name=name)
    if isinstance(doc, Mapping) and doc.get("kind") == REPORT_KIND:
        _read_runs(doc, source, "the report")
    elif isinstance(doc, Mapping) and "cells" in doc and "metadata" in doc:
        metadata = doc.get("metadata")
        bench = metadata.get(records.METADATA_KEY) if isinstance(metadata, Mapping) else None
        papermill = papermill_records.is_papermill_notebook(doc)
        if bench is not None:
            _read_runs(bench, source, f"metadata.{records.METADATA_KEY}")
        if papermill:
            try:
                record = papermill_records.papermill_record(doc, machine_label, private_words)
            except papermill_records.MalformedPapermillError as exc:
                reason = f"not read as a papermill run: {exc}"
                source.problems.append(reason)
                source.invalid.append({"source": name, "index": -1, "reason": reason})
            else:
                source.runs.append(record)
        if bench is None and not papermill:
            source.problems.append(f"the notebook has no {records.METADATA_KEY} metadata")
    elif isinstance(doc, Mapping) and "schema_version" in doc:
        _read_runs(doc, source, f"the {records.METADATA_KEY} object")
    else:
        reason = f"not a notebook or a device-bench report (found {type(doc).__name__})"
        source.problems.append(reason)
        source.invalid.append({"source": name, "index": -1, "reason": reason})
    return source


def read_file(
    path: Path, machine_label: str | None = None, private_words: Iterable[str] = ()
) -> Source:
    """`path` read and parsed; a file that is not JSON is one invalid entry, not an exception."""
    name = Path(path).name
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = (
            f"cannot read it as JSON ({type(exc).__name__}: {records.scrub(exc, private_words)})"
        )
        return Source(
            name=name,
            invalid=[{"source": name, "index": -1, "reason": reason}],
            problems=[reason],
        )
    return read_source(name, doc, machine_label, private_words)


def merge(sources: Sequence[Source], generated_at: str | None = None) -> dict[str, Any]:
    """The JSON report of `sources`: distinct runs (first copy of an id kept), every invalid
    entry, every problem as a warning ("name: problem")."""
    seen: set[str] = set()
    runs: list[dict[str, Any]] = []
    for source in sources:
        for run in source.runs:
            if run["id"] not in seen:
                seen.add(run["id"])
                runs.append(run)
    warnings = [f"{source.name}: {problem}" for source in sources for problem in source.problems]
    if len(warnings) > 50:
        warnings = [*warnings[:50], f"… and {len(warnings) - 50} more warnings."]
    report = {
        "schema_version": records.SCHEMA_VERSION,
        "kind": REPORT_KIND,
        "generated_at": generated_at or records.utc_now(),
        "sources": [source.name for source in sources],
        "warnings": warnings,
        "invalid": [entry for source in sources for entry in source.invalid],
        "runs": runs,
    }
    validate_report(report)
    return report


def validate_report(report: Mapping[str, Any]) -> None:
    """Raise InvalidRecordError unless `report` matches report.schema.json."""
    import jsonschema
    from referencing import Registry, Resource

    metadata = records.load_schema("metadata.schema.json")
    schema = records.load_schema("report.schema.json")
    registry = Registry().with_resource(metadata["$id"], Resource.from_contents(metadata))
    cls = jsonschema.Draft202012Validator
    validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise records.InvalidRecordError(f"invalid report: {where}: {errors[0].message[:300]}")


def write_json(value: object, path: Path) -> None:
    """`value` as JSON at `path`, atomically (a temporary file beside it, then a rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
