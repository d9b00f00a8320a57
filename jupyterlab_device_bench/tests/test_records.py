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


def test_allowlist_is_the_schemas():
    """The contract's allowlists (which the device picker's are generated from) are the
    metadata schema's patterns."""
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
    # The TypeScript builds the same text from the same templates: tests/golden/device_cells.json.


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


def test_record_times_are_the_results_as_the_driver_records_them():
    # okRecord (record.ts) takes started_at / finished_at from the result document (start of
    # training, end of evaluation); the runner's own times only stand in when they are absent.
    record = ok_record()
    assert record["started_at"] == sample_result()["started_at"] == "2026-01-01T12:00:01Z"
    assert record["finished_at"] == sample_result()["finished_at"] == "2026-01-01T12:00:02Z"
    result = sample_result()
    del result["started_at"]
    result["finished_at"] = None
    record = records.record_from_result(
        result,
        params={},
        machine_label="m",
        started_at="2026-01-01T11:59:00Z",
        finished_at="2026-01-01T12:00:05Z",
    )
    assert (record["started_at"], record["finished_at"]) == (
        "2026-01-01T11:59:00Z",
        "2026-01-01T12:00:05Z",
    )


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


# The label src/records/record.ts's defaultMachineLabel() gives for each probe document:
# [cpu.model ?? 'CPU', ...names of available non-CPU devices, each once].join(' + '), sliced
# to 200 UTF-16 units; no document gives 'unknown machine'. The first case is the fixture of
# record.spec.ts ("derives the machine label from CPU and GPU names only"); the same cases are
# in tests/golden/machine_labels.json, which jest checks too.
TS_LABEL_CASES = [
    (
        {
            "cpu": {"model": "AMD Ryzen 9"},
            "devices": [
                {"id": "cuda:0", "kind": "cuda", "name": "NVIDIA RTX 4090", "available": True},
                {"id": "cuda:1", "kind": "cuda", "name": "NVIDIA RTX 4090", "available": True},
                {"id": "cpu", "kind": "cpu", "name": "AMD Ryzen 9", "available": True},
            ],
        },
        "AMD Ryzen 9 + NVIDIA RTX 4090",
    ),
    (
        {
            "cpu": {"model": "Apple M2 Pro"},
            "devices": [
                {"id": "mps", "kind": "mps", "name": "Apple M2 Pro GPU", "available": True},
                {"id": "cpu", "kind": "cpu", "name": "Apple M2 Pro", "available": True},
            ],
        },
        "Apple M2 Pro + Apple M2 Pro GPU",
    ),
    (
        {
            "cpu": {"model": "Intel(R) Xeon(R) Processor"},
            "devices": [
                {
                    "id": "cpu",
                    "kind": "cpu",
                    "name": "Intel(R) Xeon(R) Processor",
                    "available": True,
                }
            ],
        },
        "Intel(R) Xeon(R) Processor",
    ),
    # torch missing: no devices at all.
    ({"cpu": {"model": "Intel(R) Xeon(R) Processor"}, "devices": []}, "Intel(R) Xeon(R) Processor"),
    # GPUs NVML sees but torch cannot use are left out; so is an empty name.
    (
        {
            "cpu": {"model": "Xeon"},
            "devices": [
                {"id": "cuda:0", "kind": "cuda", "name": "NVIDIA H100", "available": False},
                {"id": "xpu:0", "kind": "xpu", "name": "", "available": True},
                {"id": "cuda:1", "kind": "cuda", "name": "NVIDIA A10", "available": True},
                {"id": "cuda:2", "kind": "cuda", "name": "NVIDIA H100", "available": True},
                {"id": "cpu", "kind": "cpu", "name": "Xeon", "available": True},
            ],
        },
        "Xeon + NVIDIA A10 + NVIDIA H100",
    ),
    # `model ?? 'CPU'`: null gives CPU, "" stays "" (no trimming, no whitespace clean-up).
    (
        {
            "cpu": {"model": None},
            "devices": [{"id": "mps", "kind": "mps", "name": "Metal GPU (MPS)", "available": True}],
        },
        "CPU + Metal GPU (MPS)",
    ),
    ({"cpu": {"model": "  Apple   M2 "}, "devices": []}, "  Apple   M2 "),
    ({"cpu": {"model": "x" * 300}, "devices": []}, "x" * 200),
    # slice(0, 200) counts UTF-16 units: 🚀 is two; half of one is dropped.
    ({"cpu": {"model": "x" * 198 + "🚀🚀"}, "devices": []}, "x" * 198 + "🚀"),
    ({"cpu": {"model": "x" * 199 + "🚀"}, "devices": []}, "x" * 199),
    (None, "unknown machine"),
]


@pytest.mark.parametrize("report, expected", TS_LABEL_CASES)
def test_default_machine_label_is_the_drivers(report, expected):
    assert records.default_machine_label(report) == expected


CUDA_ARCHS = ("sm_80", "sm_86", "sm_89", "sm_90")


def test_default_machine_label_from_probe_documents(fake_machine):
    """The label from the documents probe.py really makes: CUDA twice the same GPU, MPS, a
    CPU-only build beside an NVIDIA GPU, no GPU at all."""
    from jupyterlab_device_bench.tests.conftest import (
        fake_cuda_device,
        fake_nvml,
        fake_torch_module,
    )

    twice = (fake_cuda_device("NVIDIA GeForce RTX 4090", 8, 9),) * 2
    cuda = fake_torch_module(
        cuda_build="12.4", cuda_available=True, devices=twice, arch_list=CUDA_ARCHS
    )
    doc = fake_machine(cuda, fake_nvml("12.4", ("NVIDIA GeForce RTX 4090",) * 2), cpu_model="AMD")
    assert [d["id"] for d in doc["devices"]] == ["cuda:0", "cuda:1", "cpu"]
    assert records.default_machine_label(doc) == "AMD + NVIDIA GeForce RTX 4090"

    mps = fake_torch_module(mps_built=True, mps_available=True)
    doc = fake_machine(
        mps, os_name="Darwin", machine="arm64", macos_version="14.4", cpu_model="Apple M1 Max"
    )
    assert records.default_machine_label(doc) == "Apple M1 Max + Apple M1 Max GPU"

    cpu_build = fake_torch_module()
    doc = fake_machine(cpu_build, fake_nvml("12.4", ("NVIDIA A100",)), cpu_model="Xeon")
    assert [(d["id"], d["available"]) for d in doc["devices"]] == [("cuda:0", False), ("cpu", True)]
    assert records.default_machine_label(doc) == "Xeon"

    doc = fake_machine(fake_torch_module(), cpu_model="Intel(R) Xeon(R) Processor")
    assert records.default_machine_label(doc) == "Intel(R) Xeon(R) Processor"


def test_machine_label_of_this_machine_names_no_host_or_user(probe):
    label = records.default_machine_label(probe.device_bench_probe())
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


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "PermissionError: [Errno 13] Permission denied: "
            "'C:\\\\Users\\\\alice\\\\data\\\\t10k.gz'",
            "PermissionError: [Errno 13] Permission denied: '…/t10k.gz'",
        ),
        (
            "FileNotFoundError: [Errno 2] No such file or directory: "
            "'/Users/John Smith/mnist/x.gz'",
            "FileNotFoundError: [Errno 2] No such file or directory: '…/x.gz'",
        ),
        (
            'OSError: "~/work/alice notes/data" is not a folder.',
            'OSError: "…/data" is not a folder.',
        ),
        ("no data in /home/bob/data/mnist.", "no data in …/mnist."),
        ("share \\\\server\\bob\\x.gz", "share …/x.gz"),
        (
            "see https://pytorch.org/get-started/locally/",
            "see https://pytorch.org/get-started/locally/",
        ),
        ("ratio 1/2 and /", "ratio 1/2 and /"),
    ],
)
def test_scrub_reduces_paths_like_the_jupyterlab_driver(message, expected):
    # The same cases as src/records/__tests__/record.spec.ts ("reduces paths to base names")
    # and tests/golden/scrub.json.
    assert records.scrub(message) == expected


# --- running / interrupted -----------------------------------------------------------------


def running_marker(run_id: str, **changes) -> dict:
    fields = {key: None for key in records.RESULT_FIELDS}
    return ok_record(id=run_id, status="running", error=None, **{**fields, **changes})


def test_running_statuses_are_valid_and_markers_are_replaced_in_place():
    marker = running_marker("m")
    records.validate_record(marker)
    assert records.is_running(marker) and not records.is_running(ok_record())
    assert not records.is_running(None) and not records.is_running("running")
    metadata = records.check_metadata({"schema_version": 1, "runs": [marker, ok_record(id="x")]})
    final = ok_record(id="m")
    assert [run["id"] for run in records.append_run(metadata, final)["runs"]] == ["m", "x"]
    assert records.append_run(metadata, final)["runs"][0] == final


def test_append_run_resolves_markers_left_behind_when_asked():
    older, marker = running_marker("dev-0"), running_marker("dev-2")
    metadata = records.check_metadata({"runs": [older, ok_record(id="dev-1")]})
    updated = records.append_run(metadata, marker, resolve_running=True)
    assert [(run["id"], run["status"]) for run in updated["runs"]] == [
        ("dev-0", "interrupted"),
        ("dev-1", "ok"),
        ("dev-2", "running"),
    ]
    assert updated["runs"][0]["error"] == records.contract.INTERRUPTED_ERROR
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", updated["runs"][0]["finished_at"])
    # Without asking, a marker left behind stays as it is.
    assert records.append_run(metadata, ok_record(id="new"))["runs"][0]["status"] == "running"


def test_resolve_interrupted_copies_and_keeps_other_runs():
    runs = [ok_record(id="a"), running_marker("b")]
    resolved = records.resolve_interrupted(runs, "2026-12-02T01:00:00Z")
    assert resolved[0] == runs[0] and resolved[0] is not runs[0]
    assert resolved[1]["status"] == "interrupted" and runs[1]["status"] == "running"
    assert resolved[1]["finished_at"] == "2026-12-02T01:00:00Z"
    assert "before this device ended" in resolved[1]["error"]
    for run in resolved:
        records.validate_record(run)
