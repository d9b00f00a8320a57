"""Unit tests of the run-record helpers (jupyterlab_device_bench/records.py). No kernels."""

from __future__ import annotations

import copy
import getpass
import json
import re
import socket
from pathlib import Path

import jsonschema
import pytest

from jupyterlab_device_bench import records, runner

REPO_ROOT = Path(__file__).resolve().parents[2]
DEVICE_CELL_TS = REPO_ROOT / "src" / "notebook" / "deviceCell.ts"


def sample_result(device: str = "cpu", **changes) -> dict:
    """A result document as the notebook's last cell displays it (valid per result.schema)."""
    doc = {
        "schema_version": 1,
        "kind": "device-bench-result",
        "device": device,
        "device_name": "Intel(R) Xeon(R) Processor",
        "profile": "quick",
        "settings": {
            "profile": "quick",
            "pipeline": "resident",
            "epochs": 1,
            "batch_size": 64,
            "learning_rate": 0.001,
            "momentum": 0.9,
            "num_workers": 0,
            "warmup_steps": 5,
            "dataset": "mnist",
            "data_dir": "mnist",
            "split_from_test": True,
            "train_size": 1000,
            "test_size": 200,
            "repeat_to": None,
            "download": False,
            "seed": 0,
        },
        "data": {
            "source": "mnist-test-split",
            "loader": "builtin-idx",
            "train_samples": 1000,
            "test_samples": 200,
            "repeated": False,
            "repeat_to": None,
            "epoch_samples": 1000,
        },
        "train_seconds": 0.1742,
        "epoch_seconds": [0.1742],
        "steady_epoch_seconds": 0.1742,
        "samples_per_second": 5739.2,
        "eval_seconds": 0.01,
        "accuracy": 0.125,
        "final_loss": 2.29,
        "epoch_losses": [2.29],
        "loss_log": [],
        "model_parameters": 44426,
        "versions": {
            "python": "3.11.7",
            "torch": "2.13.0+cpu",
            "cuda": None,
            "cudnn": None,
            "torchvision": None,
            "numpy": "2.4.6",
        },
        "cpu": {"model": "Intel(R) Xeon(R) Processor", "threads": 1, "logical_cores": 2},
        "platform": {"system": "Linux", "machine": "x86_64"},
        "started_at": "2026-01-01T12:00:01Z",
        "finished_at": "2026-01-01T12:00:02Z",
        "notes": [],
    }
    doc.update(changes)
    return doc


def ok_record(**changes) -> dict:
    record = records.record_from_result(
        sample_result(),
        params={"profile": "quick", "data_dir": "/srv/datasets/mnist", "epochs": 1},
        machine_label="Intel(R) Xeon(R) Processor",
        started_at="2026-01-01T12:00:00Z",
        finished_at="2026-01-01T12:00:03Z",
    )
    record.update(changes)
    return record


def metadata_validator():
    schema = records.load_schema()
    return jsonschema.Draft202012Validator(schema)


# --- devices and the device cell -----------------------------------------------------------


@pytest.mark.parametrize(
    "device", ["auto", "cpu", "mps", "cuda", "cuda:0", "cuda:7", "cuda:999", "xpu", "xpu:12"]
)
def test_allowlist_accepts(device):
    assert records.validate_device(device) == device


@pytest.mark.parametrize(
    "device",
    [
        "",
        "gpu",
        "CUDA",
        "cuda:01",
        "cuda:1000",
        "cuda:-1",
        "cuda:",
        "mps:0",
        "cpu\n",
        " cpu",
        'cuda:0"); import os; ("',
        None,
        0,
    ],
)
def test_allowlist_refuses(device):
    with pytest.raises(records.InvalidDeviceError, match="is not a device"):
        records.validate_device(device)


def test_allowlist_is_the_pickers():
    """The same regular expression as src/notebook/deviceCell.ts (and the metadata schema)."""
    ts = DEVICE_CELL_TS.read_text(encoding="utf-8")
    literal = re.search(r"DEVICE_PATTERN =\s*/(.+)/;", ts).group(1)
    assert literal == records.DEVICE_PATTERN.pattern
    schema = records.load_schema()
    assert schema["properties"]["device"]["pattern"] == records.DEVICE_PATTERN.pattern
    assert (
        schema["$defs"]["run"]["properties"]["device"]["pattern"]
        == records.RECORD_DEVICE_PATTERN.pattern
    )


def test_device_cell_matches_the_picker():
    named = records.device_cell_source("cuda:0", "NVIDIA GeForce RTX 3070 Ti Laptop GPU")
    assert named == (
        "# Device chosen with jupyterlab-device-bench: "
        "NVIDIA GeForce RTX 3070 Ti Laptop GPU (cuda:0)\n"
        "import torch\n"
        "\n"
        'device = torch.device("cuda:0")'
    )
    assert records.device_cell_source("cpu").splitlines()[0] == (
        "# Device chosen with jupyterlab-device-bench: cpu"
    )
    # A hostile name cannot leave the comment line.
    evil = records.device_cell_source("mps", 'Apple M2\nimport os; os.system("x")')
    assert evil.splitlines()[0] == (
        "# Device chosen with jupyterlab-device-bench: Apple M2 import os os.system( x ) (mps)"
    )
    assert len(evil.splitlines()) == 4
    # The TypeScript builds the same lines.
    ts = DEVICE_CELL_TS.read_text(encoding="utf-8")
    assert "`# Device chosen with jupyterlab-device-bench: ${comment}`" in ts
    assert '`device = torch.device("${valid}")`' in ts
    assert "/[^A-Za-z0-9 .,_()@+/-]+/g" in ts


def test_auto_cell_is_the_committed_cell():
    nb = runner.load_notebook(None)
    committed = nb.cells[runner.tagged(nb, runner.DEVICE_TAG)[0]].source.strip()
    assert records.device_cell_source("auto", "ignored") == committed


# --- records -------------------------------------------------------------------------------


def test_record_from_result_is_valid_and_private():
    record = ok_record()
    records.validate_record(record)
    metadata_validator().validate({"schema_version": 1, "runs": [record]})
    assert record["status"] == "ok" and record["source"] == "headless" and record["error"] is None
    assert record["device"] == "cpu" and record["profile"] == "quick"
    for key in records.RESULT_FIELDS:
        assert record[key] == sample_result()[key]
    assert record["params"] == {"profile": "quick", "data_dir": "mnist", "epochs": 1}
    assert "/srv" not in json.dumps(record)
    assert re.fullmatch(r"[0-9a-f-]{36}", record["id"])
    assert ok_record()["id"] != record["id"]


def test_record_from_result_refuses_incomplete_or_odd_results():
    broken = sample_result()
    del broken["accuracy"]
    with pytest.raises(records.InvalidRecordError, match="accuracy"):
        records.record_from_result(
            broken, params={}, machine_label="m", started_at="x", finished_at="y"
        )
    with pytest.raises(records.InvalidRecordError, match="device"):
        records.record_from_result(
            sample_result(device="meta"),
            params={},
            machine_label="m",
            started_at="2026-01-01T12:00:00Z",
            finished_at="2026-01-01T12:00:00Z",
        )


def test_record_from_error_scrubs_paths_and_names():
    host, user = "build-host-7.example.org", "alice.smith"
    message = (
        "FileNotFoundError: MNIST files not found in data_dir '/home/alice.smith/data/mnist' "
        "(looked in '/home/alice.smith/data/mnist' and '/home/alice.smith/data/mnist/MNIST/raw')."
        f" Set download=True (on {host}) or see https://ossci-datasets.s3.amazonaws.com/mnist/."
        " Windows: C:\\Users\\alice.smith\\mnist, ~/mnist/x, ../../../etc/mnist; step 1/2"
    )
    record = records.record_from_error(
        "failed",
        "\x1b[0;31m" + message + "\x1b[0m",
        device="cuda:0",
        profile="quick",
        params={"data_dir": "C:\\Users\\alice.smith\\mnist"},
        machine_label="m",
        started_at="2026-01-01T12:00:00Z",
        finished_at="2026-01-01T12:00:01Z",
        private_words=[host, host.split(".")[0], user],
    )
    metadata_validator().validate({"schema_version": 1, "runs": [record]})
    error = record["error"]
    assert "/home" not in error and "alice" not in error and "build-host" not in error
    assert "C:\\" not in error and "~/" not in error and "../" not in error
    assert "'…/mnist'" in error and "'…/raw')." in error
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/" in error  # URLs stay
    assert "download=True" in error and "step 1/2" in error and "\x1b" not in error
    assert record["params"] == {"data_dir": "mnist"}
    for key in records.RESULT_FIELDS:
        assert record[key] is None


def test_record_from_error_limits():
    record = records.record_from_error(
        "cancelled",
        "x" * 5000,
        device="cpu",
        profile="seed",
        params={},
        machine_label="m",
        started_at="2026-01-01T12:00:00Z",
        finished_at="2026-01-01T12:00:01Z",
    )
    assert len(record["error"]) == records.MAX_ERROR_CHARS and record["status"] == "cancelled"
    with pytest.raises(ValueError, match="status"):
        records.record_from_error(
            "ok",
            "",
            device="cpu",
            profile="seed",
            params={},
            machine_label="m",
            started_at="2026-01-01T12:00:00Z",
            finished_at="2026-01-01T12:00:01Z",
        )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"device": "auto"}, "device"),
        ({"status": "done"}, "status"),
        ({"source": "cli"}, "source"),
        ({"accuracy": 1.5}, "accuracy"),
        ({"machine_label": "m" * 201}, "machine_label"),
        ({"error": "e" * 2001}, "error"),
    ],
)
def test_validate_record_refuses(change, field):
    with pytest.raises(records.InvalidRecordError, match=field):
        records.validate_record(ok_record(**change))


def test_utc_now_format():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", records.utc_now())


# --- metadata ------------------------------------------------------------------------------


def test_check_metadata_fresh_and_picker_only():
    assert records.check_metadata(None) == {"schema_version": 1, "runs": []}
    picked = {"device": "cuda:0"}  # what the device picker alone writes
    checked = records.check_metadata(picked)
    assert checked == {"device": "cuda:0", "schema_version": 1, "runs": []}
    assert picked == {"device": "cuda:0"}  # the input is not changed


@pytest.mark.parametrize(
    "value, words",
    [
        ([1, 2], "is a list, not an object"),
        ("cpu", "is a str, not an object"),
        ({"schema_version": 2}, "schema_version 2"),
        ({"runs": "none"}, "runs"),
        ({"runs": [{"id": "x"}]}, "runs/0"),
        ({"device": "gpu"}, "device"),
    ],
)
def test_check_metadata_refuses_malformed(value, words):
    with pytest.raises(records.MalformedMetadataError, match=re.escape(words)) as info:
        records.check_metadata(value, "the input notebook")
    assert "nothing was changed" in str(info.value) and "the input notebook" in str(info.value)


def test_append_keeps_unknown_fields_and_caps_history():
    existing = records.check_metadata(
        {
            "schema_version": 1,
            "device": "auto",
            "future_setting": {"colour": "teal"},
            "runs": [ok_record(id="old-0", future_run_field=[1, 2])],
        }
    )
    before = copy.deepcopy(existing)
    metadata = existing
    ids = ["old-0"]
    for n in range(1, 6):
        metadata = records.append_run(metadata, ok_record(id=f"run-{n}"), history=3, device="cpu")
        ids.append(f"run-{n}")
        assert [run["id"] for run in metadata["runs"]] == ids[-3:]
    assert existing == before  # append_run copies
    assert metadata["future_setting"] == {"colour": "teal"}
    assert metadata["device"] == "cpu" and metadata["schema_version"] == 1
    metadata_validator().validate(metadata)

    # An unknown field inside a run survives while the run is kept.
    kept = records.append_run(existing, ok_record(id="run-new"), history=50)
    assert kept["runs"][0]["future_run_field"] == [1, 2]
    # The same run appended twice counts once (the newer copy wins, at the end).
    again = records.append_run(kept, ok_record(id="old-0", accuracy=0.5))
    assert [run["id"] for run in again["runs"]] == ["run-new", "old-0"]
    assert again["runs"][-1]["accuracy"] == 0.5

    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="history"):
            records.append_run(existing, ok_record(), history=bad)
    with pytest.raises(records.InvalidDeviceError):
        records.append_run(existing, ok_record(), device="gpu")
    with pytest.raises(records.InvalidRecordError):
        records.append_run(existing, ok_record(status="maybe"))


# --- machine label and parameters ----------------------------------------------------------


def test_default_machine_label():
    label = records.default_machine_label
    assert label("Intel(R) Xeon(R) Processor") == "Intel(R) Xeon(R) Processor"
    assert (
        label("AMD Ryzen 9 7950X 16-Core Processor", ["NVIDIA GeForce RTX 4090"])
        == "AMD Ryzen 9 7950X 16-Core Processor + NVIDIA GeForce RTX 4090"
    )
    assert label("Xeon", ["NVIDIA H100", "NVIDIA H100", "NVIDIA A10"]) == (
        "Xeon + 2 x NVIDIA H100, NVIDIA A10"
    )
    assert label(None, []) == "unknown CPU" and label("  Apple   M2 ", [""]) == "Apple M2"
    assert len(label("x" * 300, ["y"])) == records.MAX_LABEL_CHARS


def test_detected_machine_label_names_no_host_or_user():
    label = runner.detect_machine_label()
    assert 0 < len(label) <= records.MAX_LABEL_CHARS
    for name in (socket.gethostname(), getpass.getuser(), Path.home().name):
        if len(name) > 4:
            assert name not in label
    assert "/" not in label.replace("I/O", "")


def test_check_machine_label():
    assert records.check_machine_label(" lab GPU box ") == "lab GPU box"
    for bad in ("", "   ", "a\nb", "x" * 201):
        with pytest.raises(ValueError, match="machine label"):
            records.check_machine_label(bad)


def test_public_params():
    params = {
        "data_dir": "/data/sets/mnist/",
        "profile": "quick",
        "relative": "data/mnist",
        "home": "~alice",
        "win": "D:\\mnist",
        "lr": 0.02,
        "flag": None,
    }
    assert records.public_params(params) == {
        "data_dir": "mnist",
        "profile": "quick",
        "relative": "mnist",
        "home": "<path>",
        "win": "mnist",
        "lr": 0.02,
        "flag": None,
    }


@pytest.mark.parametrize(
    "value, ok",
    [("s", True), (1, True), (0.5, True), (True, True), (None, True)]
    + [(float("nan"), False), (float("inf"), False), ([1], False), ({"a": 1}, False)],
)
def test_is_json_scalar(value, ok):
    assert records.is_json_scalar(value) is ok
