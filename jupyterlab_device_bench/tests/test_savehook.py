"""The pre-save hook that keeps run records saved by another window (`savehook`).

Against jupyter_server's real FileContentsManager: a notebook saved by one window after another
window added records keeps those records.
"""

from __future__ import annotations

import copy
import types

import nbformat
import pytest
from jupyter_server.services.contents.filemanager import FileContentsManager

import jupyterlab_device_bench
from jupyterlab_device_bench.savehook import merge_runs, pre_save_hook


def run(run_id: str, status: str = "ok", started: str = "2026-12-01T10:00:00Z") -> dict:
    return {"id": run_id, "status": status, "started_at": started}


def test_nothing_to_merge():
    saved = {"schema_version": 1, "runs": [run("a")]}
    assert merge_runs(saved, None) is None
    assert merge_runs(saved, {"schema_version": 1, "runs": [run("a")]}) is None
    assert merge_runs(saved, {"schema_version": 1, "runs": []}) is None


def test_runs_only_on_disk_are_kept_in_start_order():
    saved = {"schema_version": 1, "device": "cpu", "runs": [run("a", started="T1")]}
    disk = {"schema_version": 1, "runs": [run("a", started="T1"), run("b", started="T2")]}
    merged = merge_runs(saved, disk)
    assert [r["id"] for r in merged["runs"]] == ["a", "b"]
    assert merged["device"] == "cpu"  # the saving window's other fields win
    # The saving window had no metadata at all (loaded before the first record).
    assert merge_runs(None, disk)["runs"] == disk["runs"]


def test_a_final_record_on_disk_replaces_its_marker():
    saved = {"runs": [run("a", "running")]}
    disk = {"runs": [run("a", "ok")]}
    assert merge_runs(saved, disk)["runs"] == [run("a", "ok")]
    # Never the other way round.
    assert merge_runs({"runs": [run("a", "ok")]}, {"runs": [run("a", "running")]}) is None


def test_the_longer_list_bounds_the_history():
    saved = {"runs": [run(str(i), started=f"T{i:02}") for i in range(3, 13)]}
    disk = {"runs": [run(str(i), started=f"T{i:02}") for i in range(5, 15)]}
    merged = merge_runs(saved, disk)
    assert [r["id"] for r in merged["runs"]] == [str(i) for i in range(5, 15)]


@pytest.mark.parametrize(
    "saved,disk",
    [
        ({"runs": "x"}, {"runs": [run("a")]}),
        ({"schema_version": 2, "runs": []}, {"runs": [run("a")]}),
        ({"runs": []}, {"runs": [{"no": "id"}]}),
        ({"runs": []}, ["not", "an", "object"]),
        ("not an object", {"runs": [run("a")]}),
    ],
)
def test_unknown_shapes_are_left_as_saved(saved, disk):
    assert merge_runs(saved, disk) is None


def notebook(runs: list[dict] | None, source: str = "x = 1") -> dict:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(source))
    if runs is not None:
        nb.metadata["device_bench"] = {"schema_version": 1, "runs": runs}
    return {"type": "notebook", "format": "json", "content": nb}


def test_a_second_window_save_keeps_the_first_windows_records(tmp_path):
    manager = FileContentsManager(root_dir=str(tmp_path))
    # Loaded through the extension's own entry point, as jupyter_server does.
    jupyterlab_device_bench._load_jupyter_server_extension(
        types.SimpleNamespace(contents_manager=manager)
    )
    manager.save(notebook(None), "bench.ipynb")
    stale = copy.deepcopy(manager.get("bench.ipynb"))  # the second window loads it
    # The first window records two devices.
    manager.save(notebook([run("d1", started="T1"), run("d2", started="T2")]), "bench.ipynb")
    # The second window saves an unrelated edit from its older copy.
    stale["content"].cells[0].source = "x = 2"
    manager.save({"type": "notebook", "format": "json", "content": stale["content"]}, "bench.ipynb")
    on_disk = manager.get("bench.ipynb")["content"]
    assert on_disk.cells[0].source == "x = 2"
    assert [r["id"] for r in on_disk.metadata["device_bench"]["runs"]] == ["d1", "d2"]


def test_the_hook_ignores_other_files_and_paths_outside_the_root(tmp_path):
    (tmp_path / "root").mkdir()
    manager = FileContentsManager(root_dir=str(tmp_path / "root"))
    outside = tmp_path / "outside.ipynb"
    nbformat.write(nbformat.from_dict(notebook([run("x")])["content"]), str(outside))
    model = notebook([])
    pre_save_hook(model, "../outside.ipynb", manager)
    assert model["content"].metadata["device_bench"]["runs"] == []
    text = {"type": "file", "format": "text", "content": "hello"}
    pre_save_hook(text, "notes.txt", manager)
    assert text == {"type": "file", "format": "text", "content": "hello"}
