"""examples/multi_runner.sh, run as it is: three headless runners in parallel, each with its own
machine label (the quick profile on 640 real MNIST images), then merge-reports
(docs/deployment.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from jupyterlab_device_bench import records, reports

_spec = importlib.util.spec_from_file_location("nbutil", Path(__file__).with_name("nbutil.py"))
nbutil = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbutil)

SCRIPT = nbutil.REPO_ROOT / "examples" / "multi_runner.sh"
LABELS = ["lab node A", "lab node B", "gpu node 3"]
TIMEOUT = 900  # seconds for the whole script; about 1-2 minutes on 2 loaded cores


def test_multi_runner_example_merges_every_machine(kernel_env, mnist_data, tmp_path):
    out = tmp_path / "runs"
    env = {
        **os.environ,
        "LABELS": ",".join(LABELS),
        "OUT": os.fspath(out),
        "DATA_DIR": os.fspath(mnist_data),
        "PYTHON": sys.executable,
        "KERNEL": nbutil.KERNEL_NAME,
    }
    try:
        done = subprocess.run(
            ["bash", os.fspath(SCRIPT)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{SCRIPT.name} still running after {TIMEOUT} s") from exc
    logs = "\n".join(p.read_text() for p in sorted(out.glob("bench-*.log")))
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{logs}"
    for index, label in enumerate(LABELS):
        assert f"runner {index} ({label}): exit 0" in done.stdout
    report = json.loads((out / "merged.json").read_text())
    reports.validate_report(report)
    assert report["sources"] == [f"bench-{i}.ipynb" for i in range(len(LABELS))]
    assert report["invalid"] == [] and report["warnings"] == []
    runs = report["runs"]
    # One ok cpu run per machine, every label once, every run id distinct.
    assert sorted(run["machine_label"] for run in runs) == sorted(LABELS)
    assert len({run["id"] for run in runs}) == len(LABELS)
    for run in runs:
        records.validate_record(run)
        assert run["status"] == "ok" and run["source"] == "headless" and run["device"] == "cpu"
        assert run["profile"] == "quick" and run["data"]["train_samples"] == 640
        assert run["params"]["data_dir"] == "mnist"
    assert os.fspath(tmp_path) not in json.dumps(report)
