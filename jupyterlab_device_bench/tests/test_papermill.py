"""A notebook executed by plain papermill becomes run records (papermill_records.py, reports.py).

Real papermill runs the bundled notebook twice per module, side by side, in the test kernel: once
with the quick profile on a tiny real-data workload, once with a parameter the settings cell
refuses (it fails mid-way). The tests then read those two notebooks with the real command line.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jupyterlab_device_bench import papermill_records, records, reports
from jupyterlab_device_bench.__main__ import main

_spec = importlib.util.spec_from_file_location("nbutil", Path(__file__).with_name("nbutil.py"))
nbutil = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbutil)

PAPERMILL_TIMEOUT = 900  # seconds for both runs; they take about 1-2 minutes on 2 loaded cores


@pytest.fixture(scope="module")
def executed(kernel_env, tmp_path_factory):
    """{"ok": path, "failed": path}: notebooks real papermill wrote (started in parallel)."""
    assert (nbutil.SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file(), "no MNIST test split"
    folder = tmp_path_factory.mktemp("papermill")
    common = ["-p", "profile", "quick", "-p", "split_from_test", "True"]
    common += ["-p", "train_size", "640", "-p", "test_size", "128", "-p", "warmup_steps", "2"]
    common += ["-p", "data_dir", os.fspath(nbutil.SHARED_MNIST)]
    extra = {"ok": ["-p", "machine_label", "papermill node"], "failed": ["-p", "dataset", "bogus"]}
    processes = {}
    for name, args in extra.items():
        command = [sys.executable, "-m", "papermill", os.fspath(nbutil.NOTEBOOK), f"{name}.ipynb"]
        command += ["-k", nbutil.KERNEL_NAME, "--no-progress-bar", *common, *args]
        processes[name] = subprocess.Popen(
            command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    for name, process in processes.items():
        try:
            out, _ = process.communicate(timeout=PAPERMILL_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            message = f"papermill ({name}) still running after {PAPERMILL_TIMEOUT} s"
            raise AssertionError(message) from None
        expected = 0 if name == "ok" else 1
        assert process.returncode == expected, f"papermill {name}: exit {process.returncode}\n{out}"
    return {name: folder / f"{name}.ipynb" for name in extra}


def cli(*args, capsys):
    code = main(list(map(str, args)))
    out, err = capsys.readouterr()
    return code, out, err


def assert_private(text: str, *paths: Path) -> None:
    for path in (*paths, nbutil.SHARED_MNIST, Path.home()):
        assert os.fspath(path) not in text
    host = socket.gethostname()
    assert len(host) < 3 or f'"{host}"' not in text


def test_papermill_notebook_becomes_an_ok_record(executed, tmp_path, capsys):
    code, out, err = cli("records-from-notebook", executed["ok"], capsys=capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert records.check_metadata(doc) == doc
    (run,) = doc["runs"]
    assert run["status"] == "ok" and run["source"] == "papermill"
    assert run["machine_label"] == "papermill node"  # the papermill parameter
    assert run["device"] == "cpu" and run["profile"] == "quick"
    assert run["settings"]["train_size"] == 640 and run["data"]["train_samples"] == 640
    assert run["params"]["data_dir"] == "mnist"  # a path keeps only its base name
    assert run["train_seconds"] > 0 and run["id"].startswith("papermill:")
    assert_private(out, executed["ok"].parent)
    # Read twice (here and in the extension) it is one run: the id comes from papermill's start.
    code, again, _ = cli("records-from-notebook", executed["ok"], capsys=capsys)
    assert json.loads(again)["runs"][0]["id"] == run["id"]
    # --machine-label wins; written to a file with -o.
    target = tmp_path / "records.json"
    code, out, err = cli(
        "records-from-notebook", executed["ok"], "-o", target, "--machine-label", "rack 7",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["runs"][0]["machine_label"] == "rack 7"


def test_failed_mid_way_is_a_failed_record(executed, capsys):
    code, out, err = cli("records-from-notebook", executed["failed"], capsys=capsys)
    assert code == 1
    (run,) = json.loads(out)["runs"]
    records.validate_record(run)
    assert run["status"] == "failed" and run["source"] == "papermill"
    assert run["error"].startswith('ValueError: dataset must be "mnist" or "synthetic"')
    assert "(cell device-bench-settings)" in run["error"]
    assert run["train_seconds"] is None and run["profile"] == "quick"
    assert "failed" in err and "device-bench-settings" in err
    assert_private(out, executed["failed"].parent)


def test_merge_reports_accepts_papermill_notebooks(executed, tmp_path, capsys):
    exported = tmp_path / "ok-records.json"
    assert cli("records-from-notebook", executed["ok"], "-o", exported, capsys=capsys)[0] == 0
    headless = {"schema_version": 1, "runs": [_headless_run()]}
    (tmp_path / "headless.json").write_text(json.dumps(headless))
    merged = tmp_path / "merged.json"
    sources = [executed["ok"], executed["failed"], exported, tmp_path / "headless.json"]
    code, out, err = cli("merge-reports", *sources, "-o", merged, capsys=capsys)
    assert code == 0, err
    report = json.loads(merged.read_text())
    reports.validate_report(report)
    assert report["sources"] == ["ok.ipynb", "failed.ipynb", "ok-records.json", "headless.json"]
    by_source = sorted((run["source"], run["status"]) for run in report["runs"])
    # The ok run read from its notebook and from its exported records counts once.
    assert by_source == [("headless", "failed"), ("papermill", "failed"), ("papermill", "ok")]
    assert report["invalid"] == [] and report["warnings"] == []
    assert_private(merged.read_text(), tmp_path, executed["ok"].parent)


def _headless_run() -> dict:
    return records.record_from_error(
        "failed",
        "an earlier headless run",
        device="cuda:0",
        profile="quick",
        params={},
        machine_label="gpu node",
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:01:00Z",
        source="headless",
    )


def _with(nb_path: Path, target: Path, change) -> Path:
    nb = json.loads(nb_path.read_text())
    change(nb)
    target.write_text(json.dumps(nb))
    return target


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda nb: nb["metadata"].update(papermill="yes"), "must be the object papermill"),
        (lambda nb: nb["metadata"]["papermill"].pop("start_time"), "start_time is not"),
        (lambda nb: nb["metadata"]["papermill"].update(parameters=[1]), "parameters is not"),
    ],
    ids=["not an object", "no start time", "parameters a list"],
)
def test_malformed_papermill_metadata_is_a_clear_error(executed, tmp_path, capsys, change, says):
    bad = _with(executed["ok"], tmp_path / "bad.ipynb", change)
    before = bad.read_bytes()
    target = tmp_path / "out.json"
    code, out, err = cli("records-from-notebook", bad, "-o", target, capsys=capsys)
    assert code == 2 and out == ""
    assert says in err and "nothing was written" in err
    assert not target.exists() and bad.read_bytes() == before
    # merge-reports keeps every good run and lists the bad notebook as left out.
    merged = tmp_path / "merged.json"
    code, _, err = cli("merge-reports", bad, executed["failed"], "-o", merged, capsys=capsys)
    report = json.loads(merged.read_text())
    assert code == 0 and [run["status"] for run in report["runs"]] == ["failed"]
    assert [(e["source"], e["index"]) for e in report["invalid"]] == [("bad.ipynb", -1)]
    assert says in report["invalid"][0]["reason"] and says in err


def test_papermill_killed_before_the_end_is_failed_not_lost(executed):
    nb = json.loads(executed["ok"].read_text())
    nb["metadata"]["papermill"]["end_time"] = None
    for cell in nb["cells"][-3:]:
        cell["outputs"] = []
        cell["metadata"]["papermill"]["status"] = "pending"
    run = papermill_records.papermill_record(copy.deepcopy(nb))
    assert run["status"] == "failed" and run["finished_at"] == run["started_at"]
    assert run["error"].startswith("papermill stopped before the notebook finished")
    assert run["device"] == "cpu" and run["device_name"]  # from the machine cell's output
