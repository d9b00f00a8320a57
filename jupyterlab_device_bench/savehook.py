"""Run records survive a save from another window.

The same notebook open in two windows: one runs the benchmark and saves a record after each
device; the other, loaded before, saves an unrelated edit. JupyterLab warns that window ("File
Changed") but *Overwrite* would write its older ``device_bench.runs`` over the newer ones. This
server-side pre-save hook merges the runs of the file on disk into every notebook save, by run id,
so that no window's save drops another window's records. Nothing else of the notebook is merged.

A record in both keeps the saved one, unless that is a ``running`` or ``interrupted`` marker and
the one on disk is the device's final record. Records only on disk are kept. Runs are ordered by
``started_at`` and kept to the larger of the two lists' lengths (each writer already applied its
history cap). Metadata of a shape this version does not know, on either side, is left as saved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .records import METADATA_KEY, SCHEMA_VERSION

#: Statuses of a record that its device's final record replaces.
OPEN_STATUSES = frozenset({"running", "interrupted"})


def _runs(metadata: object) -> list[dict[str, Any]] | None:
    """The runs of well-formed ``device_bench`` metadata (a list of objects with ids), or None."""
    if not isinstance(metadata, Mapping):
        return None
    if metadata.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        return None
    runs = metadata.get("runs", [])
    if not isinstance(runs, list):
        return None
    if not all(isinstance(run, Mapping) and isinstance(run.get("id"), str) for run in runs):
        return None
    return [dict(run) for run in runs]


def merge_runs(saved: object, on_disk: object) -> dict[str, Any] | None:
    """The ``device_bench`` metadata to save: `saved` with the runs only `on_disk` has.

    None when there is nothing to merge (no runs on disk that the save lacks, or a shape this
    version does not know on either side).
    """
    disk_runs = _runs(on_disk)
    if not disk_runs:
        return None
    saved_runs = [] if saved is None else _runs(saved)
    if saved_runs is None:
        return None
    by_id = {run["id"]: index for index, run in enumerate(saved_runs)}
    merged = list(saved_runs)
    changed = False
    for run in disk_runs:
        index = by_id.get(run["id"])
        if index is None:
            merged.append(run)
            changed = True
        elif (
            merged[index].get("status") in OPEN_STATUSES and run.get("status") not in OPEN_STATUSES
        ):
            merged[index] = run
            changed = True
    if not changed:
        return None
    # Stable: runs without a start time keep their place relative to each other.
    merged.sort(key=lambda run: str(run.get("started_at", "")))
    keep = max(len(saved_runs), len(disk_runs))
    base = dict(saved) if isinstance(saved, Mapping) else dict(on_disk)  # type: ignore[arg-type]
    base.setdefault("schema_version", SCHEMA_VERSION)
    base["runs"] = merged[-keep:]
    return base


def _disk_metadata(contents_manager: Any, path: str) -> object:
    """The ``device_bench`` metadata of the notebook file at `path`, or None."""
    root = getattr(contents_manager, "root_dir", None)
    if not isinstance(root, str) or not path.endswith(".ipynb"):
        return None
    root = os.path.realpath(root)
    file = os.path.realpath(os.path.join(root, path.strip("/")))
    if os.path.commonpath([root, file]) != root or not os.path.isfile(file):
        return None
    try:
        with open(file, encoding="utf-8") as handle:
            notebook = json.load(handle)
    except (OSError, ValueError):
        return None
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    return metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None


def pre_save_hook(model: dict[str, Any], path: str, contents_manager: Any, **_: Any) -> None:
    """Merge the runs on disk into a notebook being saved (a jupyter_server pre-save hook)."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    metadata = model["content"].setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return
    merged = merge_runs(metadata.get(METADATA_KEY), _disk_metadata(contents_manager, path))
    if merged is not None:
        metadata[METADATA_KEY] = merged
        log = getattr(contents_manager, "log", None)
        if log is not None:
            log.info("device-bench: kept run records of %s saved by another window", path)
