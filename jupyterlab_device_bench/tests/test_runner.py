"""Tests of the headless runner (``python -m jupyterlab_device_bench run``).

The runs are real: nbclient starts a kernel on this very Python (a kernelspec in a temporary
JUPYTER_PATH, see nbutil.isolated_jupyter_env) which trains on the real MNIST test split from
`<repo>/../shared/data/mnist` at tiny sizes. Only the tests of the device loop's bookkeeping
(interrupts, dead kernels) stand a fake execution in for the kernel.
"""

from __future__ import annotations

import ast
import getpass
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import nbformat
import pytest

from jupyterlab_device_bench import __main__ as cli_module
from jupyterlab_device_bench import records, runner
from jupyterlab_device_bench.__main__ import main
from jupyterlab_device_bench.tests.test_records import sample_result

_spec = importlib.util.spec_from_file_location("nbutil", Path(__file__).with_name("nbutil.py"))
nbutil = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbutil)

DATA = nbutil.SHARED_MNIST


needs_data = pytest.mark.usefixtures("mnist_data")  # conftest.py: fails without the data
LABEL = "test machine"
# Tiny real-data runs: 16 training steps after 5 warm-up steps, 200 test images.
SMALL = [
    "--profile",
    "quick",
    "--param",
    "split_from_test=true",
    "--param",
    "train_size=1000",
    "--param",
    "test_size=200",
    "--param",
    "warmup_steps=5",
    "--param",
    f"data_dir={os.fspath(DATA)}",
]


@pytest.fixture
def cli(kernel_env, monkeypatch, tmp_path, capsys):
    """cli(*args) -> (exit code, stdout lines, stderr), run in tmp_path with the test kernel."""
    monkeypatch.chdir(tmp_path)

    def _cli(*args):
        code = main(["run", "--kernel", nbutil.KERNEL_NAME, "--machine-label", LABEL, *args])
        out, err = capsys.readouterr()
        return code, out.splitlines(), err

    return _cli


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail the test if the runner gets as far as executing a notebook."""

    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started although the command should be refused")

    monkeypatch.setattr(runner, "execute_notebook", refuse)
    monkeypatch.setattr(runner, "probe_kernel", refuse)


def read(path):
    return nbformat.read(os.fspath(path), as_version=4)


def check_metadata(nb):
    """metadata.device_bench validates against the schema; returns it."""
    metadata = nb.metadata[records.METADATA_KEY]
    schema = records.load_schema()
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(metadata)
    return metadata


def check_private(metadata, *paths):
    text = json.dumps(metadata)
    for path in (*paths, DATA):
        assert os.fspath(path) not in text
    assert "/tmp" not in text and os.sep + "work" not in text
    for name in (socket.gethostname(), getpass.getuser()):
        if len(name) > 4:
            assert name not in text


def notebook_with(tmp_path, name="input.ipynb", **metadata):
    nb = runner.load_notebook(None)
    nb.metadata.update(metadata)
    path = tmp_path / name
    nbformat.write(nb, os.fspath(path))
    return path


def unavailable_cuda():
    """A CUDA device this machine cannot use (cuda:0 on a CPU-only build)."""
    import torch

    return "cuda:999" if torch.cuda.is_available() else "cuda:0"


# --- real runs -----------------------------------------------------------------------------


@needs_data
def test_same_device_twice_keeps_everything(cli, tmp_path):
    source = notebook_with(
        tmp_path,
        device_bench={"schema_version": 1, "device": "auto", "future_field": {"x": [1, 2]}},
        other_extension={"keep": True},
    )
    source_bytes = source.read_bytes()
    code, out, err = cli(
        "--devices", "cpu", "cpu", *SMALL, "--notebook", "input.ipynb", "--output", "out.ipynb"
    )
    assert code == 0, err
    assert len(out) == 3
    assert out[0].startswith("[1/2] cpu: ok in ") and out[1].startswith("[2/2] cpu: ok in ")
    assert "samples/s" in out[0] and "accuracy" in out[0]
    assert "; slowest cell " in out[0] and "% of the cells; peak memory " in out[0]
    assert out[2].startswith("2 run(s): 2 ok;") and "runs: 2 kept" in out[2]
    assert "[1/2] cpu: starting" in err
    assert source.read_bytes() == source_bytes  # the input is never written

    nb = read(tmp_path / "out.ipynb")
    nbformat.validate(nb)
    metadata = check_metadata(nb)
    runs = metadata["runs"]
    assert [run["status"] for run in runs] == ["ok", "ok"]
    assert runs[0]["id"] != runs[1]["id"]
    assert metadata["future_field"] == {"x": [1, 2]} and metadata["device"] == "cpu"
    assert nb.metadata["other_extension"] == {"keep": True}
    for run in runs:
        assert run["source"] == "headless" and run["machine_label"] == LABEL
        assert run["device"] == "cpu" and run["device_name"] and run["error"] is None
        assert run["profile"] == "quick" and run["settings"]["train_size"] == 1000
        assert run["params"] == {
            "split_from_test": True,
            "train_size": 1000,
            "test_size": 200,
            "warmup_steps": 5,
            "data_dir": "mnist",
            "profile": "quick",
        }
        assert run["data"]["source"] == "mnist-test-split" and run["train_seconds"] > 0
        assert run["epoch_seconds"] == [run["train_seconds"]]
        assert 0 <= run["accuracy"] <= 1 and run["versions"]["torch"]
        assert run["started_at"] <= run["finished_at"]
    # As the JupyterLab driver records them: the result's times (training and evaluation).
    result = runner.result_document(nb)
    assert (runs[-1]["started_at"], runs[-1]["finished_at"]) == (
        result["started_at"],
        result["finished_at"],
    )
    check_private(metadata, tmp_path)

    # Issue 16 item 4: every code cell timed on the kernel's clock, as time-notebook times a
    # user's notebook, with peak memory; train_seconds is still the notebook's own clock,
    # inside the training cell.
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    train = runner.tagged(nb, "device-bench-train")[0]
    for run in runs:
        cells = run["cells"]
        assert [cell["index"] for cell in cells] == code_cells
        assert all(cell["status"] == "ok" and cell["seconds"] > 0 for cell in cells)
        assert all(cell["label"] == f"cell {cell['index'] + 1}" for cell in cells)
        (train_cell,) = [cell for cell in cells if cell["index"] == train]
        assert train_cell["seconds"] >= run["train_seconds"]
        assert sum(cell["seconds"] for cell in cells) >= run["train_seconds"]
        assert run["peak_memory"]["peak_rss_bytes"] > 0
        assert all(cell["memory"]["peak_rss_bytes"] > 0 for cell in cells)

    # The output keeps the executed cells of the last run, as papermill would write them.
    parameters = runner.tagged(nb, "parameters")[0]
    injected = nb.cells[parameters + 1]
    assert injected.metadata.tags == ["injected-parameters"]
    # The contract's injected-parameters cell, as the JupyterLab driver writes it.
    assert injected.source.splitlines()[0] == "# Parameters injected by jupyterlab-device-bench"
    assert f"data_dir = {json.dumps(os.fspath(DATA))}" in injected.source
    assert 'profile = "quick"' in injected.source and "split_from_test = True" in injected.source
    device_cell = nb.cells[runner.tagged(nb, runner.DEVICE_TAG)[0]]
    assert device_cell.source == records.device_cell_source("cpu", runs[-1]["device_name"])
    assert runner.result_document(nb)["device"] == "cpu"
    assert all(cell.execution_count for cell in nb.cells if cell.cell_type == "code")


@needs_data
def test_missing_data_is_a_failed_record(cli, tmp_path):
    empty = tmp_path / "no-mnist-here"
    empty.mkdir()
    code, out, err = cli(
        "--devices", "cpu", *SMALL, "--param", f"data_dir={empty}", "--output", "out.ipynb"
    )
    assert code == 1
    assert out[0].startswith("[1/1] cpu: failed in ") and "FileNotFoundError" in out[0]
    assert out[1].startswith("1 run(s): 0 ok, 1 failed;")
    nb = read(tmp_path / "out.ipynb")
    metadata = check_metadata(nb)
    (run,) = metadata["runs"]
    assert run["status"] == "failed" and run["device"] == "cpu"
    error = run["error"]
    assert error.startswith(
        "FileNotFoundError: MNIST files not found in data_dir '…/no-mnist-here'"
    )
    assert "t10k-images-idx3-ubyte.gz" in error and "download=True" in error
    assert error.endswith("(cell device-bench-load)")
    assert run["params"]["data_dir"] == "no-mnist-here"
    for key in records.RESULT_FIELDS:
        assert run[key] is None
    check_private(metadata, tmp_path, empty)
    # The breakdown says where it failed: the cells before it timed, the rest not run.
    load_index = runner.tagged(nb, "device-bench-load")[0]
    statuses = {cell["index"]: cell["status"] for cell in run["cells"]}
    assert statuses[load_index] == "failed"
    assert all(s == "ok" for i, s in statuses.items() if i < load_index)
    assert all(s == "not_run" for i, s in statuses.items() if i > load_index)
    assert run["peak_memory"]["peak_rss_bytes"] > 0
    # The failed run's cells are in the output, up to the error.
    load = nb.cells[runner.tagged(nb, "device-bench-load")[0]]
    assert load.outputs[-1]["output_type"] == "error"


@needs_data
def test_failing_device_does_not_stop_the_next(cli, tmp_path):
    # An existing output: its runs and unknown fields stay, within the history cap.
    old = [
        records.record_from_error(
            "cancelled",
            "old",
            device="cpu",
            profile="seed",
            params={},
            machine_label="old machine",
            started_at="2026-01-01T00:00:00Z",
            finished_at="2026-01-01T00:00:01Z",
            run_id=f"old-{n}",
        )
        for n in range(2)
    ]
    notebook_with(tmp_path, "out.ipynb", device_bench={"schema_version": 1, "mine": 1, "runs": old})
    bad = unavailable_cuda()
    code, out, err = cli("--devices", bad, "cpu", *SMALL, "--output", "out.ipynb", "--history", "3")
    assert code == 1
    assert out[0].startswith(f"[1/2] {bad}: failed in ") and "(cell device-bench-machine)" in out[0]
    assert out[1].startswith("[2/2] cpu: ok in ")
    assert out[2].startswith("2 run(s): 1 ok, 1 failed;") and "runs: 3 kept" in out[2]
    nb = read(tmp_path / "out.ipynb")
    metadata = check_metadata(nb)
    assert metadata["mine"] == 1 and metadata["device"] == "cpu"
    runs = metadata["runs"]
    assert [run["id"] for run in runs[:1]] == ["old-1"]
    assert [(run["status"], run["device"]) for run in runs[1:]] == [("failed", bad), ("ok", "cpu")]
    assert runs[1]["error"] and runs[1]["device_name"] is None and runs[1]["settings"] is None
    check_private(metadata, tmp_path)


def test_default_machine_label_comes_from_the_kernels_probe(
    kernel_env, monkeypatch, tmp_path, capsys
):
    """Without --machine-label the label is the JupyterLab driver's, from the probe document
    of a kernel of the same kernelspec (records.default_machine_label)."""
    from jupyterlab_device_bench import probe

    monkeypatch.chdir(tmp_path)
    document, problem = runner.probe_kernel(nbutil.KERNEL_NAME, tmp_path)
    assert problem is None
    # The kernel runs this Python on this machine: it sees the devices this process sees.
    here = probe.device_bench_probe()
    assert [(d["id"], d["name"], d["available"]) for d in document["devices"]] == [
        (d["id"], d["name"], d["available"]) for d in here["devices"]
    ]
    assert document["cpu"]["model"] == here["cpu"]["model"]
    # The kernel's copy of probe.py carries the reason table (contract.kernel_source()).
    assert document["errors"] == []
    assert all(row["i18n"]["code"].startswith("row-") for row in document["backends"])

    bad = unavailable_cuda()
    code = main(["run", "--devices", bad, "--kernel", nbutil.KERNEL_NAME, "--output", "out.ipynb"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"probing a {nbutil.KERNEL_NAME} kernel for the machine label" in err
    assert "probe failed" not in err
    (run,) = check_metadata(read(tmp_path / "out.ipynb"))["runs"]
    assert run["machine_label"] == records.default_machine_label(document)
    assert run["machine_label"] == records.default_machine_label(here)
    # The probe's kernel was shut down too.
    assert not list((kernel_env / "runtime").glob("kernel-*.json"))


def test_probe_failure_gives_the_drivers_unknown_machine(kernel_env, tmp_path):
    document, problem = runner.probe_kernel("no-such-kernel-here", tmp_path)
    assert document is None and "no-such-kernel-here" in problem
    lines = []
    assert runner.detect_machine_label("no-such-kernel-here", tmp_path, lines.append) == (
        "unknown machine"
    )
    assert lines and lines[0].startswith("the device probe failed (")


# --- the output cannot be written ------------------------------------------------------------


@pytest.mark.parametrize("where", ["sys", "proc", "file"])
def test_unwritable_output_folder_is_refused(
    kernel_env, no_kernel, monkeypatch, tmp_path, capsys, where
):
    """Checked before anything runs: root may write anywhere chmod forbids, not in /sys or
    /proc, nor under a file."""
    if where in ("sys", "proc") and not Path(f"/{where}").is_dir():
        pytest.skip(f"no /{where} on this system")
    monkeypatch.chdir(tmp_path)
    if where == "file":
        (tmp_path / "file").write_text("x")
        output = "file/out.ipynb"
    else:
        output = f"/{where}/device-bench-out.ipynb"
    argv = ["run", "--devices", "cpu", "--kernel", nbutil.KERNEL_NAME, "--output", output]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"cannot write the output notebook {output}: " in err
    assert "nothing was run and nothing was written" in err
    assert not Path(output).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["file"] if where == "file" else [])


def _unsaved(err):
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@needs_data
def test_output_folder_gone_mid_run_keeps_the_records(cli, monkeypatch, tmp_path):
    """The output's folder goes away after the first device was written (an unmounted share, a
    cleaned scratch folder): the measured run is printed, the run stops, exit 3."""
    folder, moved = tmp_path / "out", tmp_path / "moved"
    folder.mkdir()
    real_print_err = cli_module._print_err

    def progress(line):
        real_print_err(line)
        if line.startswith("[2/3] cpu: starting"):
            folder.rename(moved)  # what was written stays readable here
            folder.write_text("not a folder any more")

    monkeypatch.setattr(cli_module, "_print_err", progress)
    bad = unavailable_cuda()
    code, out, err = cli("--devices", bad, "cpu", bad, *SMALL, "--output", "out/bench.ipynb")
    assert code == runner.EXIT_NOT_WRITTEN == 3
    assert out[0].startswith(f"[1/3] {bad}: failed in ") and out[1].startswith("[2/3] cpu: ok in ")
    assert len(out) == 3 and out[2].startswith(
        "2 run(s): 1 ok, 1 failed; stopped early; out/bench.ipynb holds the first 1 "
        "(metadata.device_bench.runs: 1 kept); 1 NOT written (NotADirectoryError: "
    )
    assert "error: cannot write the output notebook out/bench.ipynb: NotADirectoryError" in err
    assert "[3/3]" not in err  # the run stopped
    (unsaved,) = _unsaved(err)
    records.validate_record(unsaved)
    assert unsaved["status"] == "ok" and unsaved["device"] == "cpu" and unsaved["train_seconds"]
    (written,) = check_metadata(read(moved / "bench.ipynb"))["runs"]
    assert written["status"] == "failed" and written["device"] == bad
    assert folder.read_text() == "not a folder any more"
    assert sorted(p.name for p in moved.iterdir()) == ["bench.ipynb"]  # no temporary file left


def test_output_turned_folder_before_the_first_write(cli, monkeypatch, tmp_path):
    output = tmp_path / "bench.ipynb"
    real_print_err = cli_module._print_err

    def progress(line):
        real_print_err(line)
        if line.startswith("[1/2]"):
            output.mkdir()

    monkeypatch.setattr(cli_module, "_print_err", progress)
    bad = unavailable_cuda()
    code, out, err = cli("--devices", bad, bad, "--output", "bench.ipynb")
    assert code == 3
    assert out[-1].startswith(
        "1 run(s): 0 ok, 1 failed; stopped early; bench.ipynb was not written; 1 NOT written "
        "(IsADirectoryError: "
    )
    assert "error: cannot write the output notebook bench.ipynb: IsADirectoryError" in err
    assert "[2/2]" not in err
    (unsaved,) = _unsaved(err)
    assert unsaved["status"] == "failed" and unsaved["device"] == bad
    assert output.is_dir() and list(output.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.ipynb"]


# --- interrupts ------------------------------------------------------------------------------


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt in the main thread, as in a terminal."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupt_on_line(monkeypatch, printer: str, prefix: str) -> None:
    """Make the command's `printer` (``_print`` or ``_print_err``) raise a real SIGINT right
    after it prints a line that starts with `prefix`."""
    real = getattr(cli_module, printer)

    def printing(line):
        real(line)
        if line.startswith(prefix):
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(cli_module, printer, printing)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupt_after_a_written_device_says_what_was_written(
    cli, sigint_raises, monkeypatch, tmp_path
):
    """A real Ctrl-C while a finished (and written) device is reported: the run stops and
    says what it wrote, not "nothing was written"."""
    interrupt_on_line(monkeypatch, "_print", "[1/2]")
    bad = unavailable_cuda()
    code, out, err = cli("--devices", bad, bad, "--output", "out.ipynb")
    assert code == 130
    assert "nothing was" not in err and "[2/2]" not in err
    assert out[-1] == (
        "1 run(s): 0 ok, 1 failed; stopped early; wrote out.ipynb "
        "(metadata.device_bench.runs: 1 kept)"
    )
    (run,) = check_metadata(read(tmp_path / "out.ipynb"))["runs"]
    assert run["status"] == "failed" and run["device"] == bad


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupt_before_any_device_writes_nothing(
    kernel_env, no_kernel, sigint_raises, monkeypatch, tmp_path, capsys
):
    interrupt_on_line(monkeypatch, "_print_err", "probing")
    monkeypatch.chdir(tmp_path)
    argv = ["run", "--devices", "cpu", "--kernel", nbutil.KERNEL_NAME, "--output", "out.ipynb"]
    assert main(argv) == 130
    out, err = capsys.readouterr()
    assert "interrupted: no device was run and nothing was written" in err and out == ""
    assert list(tmp_path.iterdir()) == []


def wait_until_training(process: subprocess.Popen, timeout: float = 180) -> int:
    """Wait for the run's kernel to send a progress display from inside its training loop, and
    return the kernel's process id. It listens on the kernel's iopub channel (the connection
    file named on the kernel's command line) instead of sleeping, so that a slow kernel start on
    a loaded machine cannot make the Ctrl-C land before a cell. The newest kernel the command
    started is the run's (the machine-label probe's kernel ends before the device starts); one
    that ends meanwhile is let go."""
    from queue import Empty

    import psutil  # a dependency of ipykernel
    from jupyter_client import BlockingKernelClient

    deadline = time.monotonic() + timeout

    def left(what: str) -> float:
        assert process.poll() is None, f"the command ended while waiting for {what}"
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"gave up after {timeout} s waiting for {what}"
        return remaining

    def kernels() -> list[psutil.Process]:
        found = []
        for child in psutil.Process(process.pid).children(recursive=True):
            try:
                if "ipykernel_launcher" in " ".join(child.cmdline()):
                    found.append(child)
            except psutil.NoSuchProcess:
                pass
        return sorted(found, key=lambda child: child.create_time())

    while True:
        found = kernels()
        if not found:
            left("a kernel to start")
            time.sleep(0.1)
            continue
        kernel = found[-1]
        try:
            argv = kernel.cmdline()
        except psutil.NoSuchProcess:
            continue
        client = BlockingKernelClient()
        client.load_connection_file(argv[argv.index("-f") + 1])
        client.start_channels(shell=False, stdin=False, hb=False, control=False)
        try:
            while kernel.is_running():
                try:
                    msg = client.get_iopub_msg(timeout=min(left("a training progress display"), 2))
                except Empty:
                    continue
                data = msg["content"].get("data") or {}
                if data.get(nbutil.PROGRESS_MIME, {}).get("phase") == "training":
                    return kernel.pid
        finally:
            client.stop_channels()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupt_records_cancelled_and_stops(kernel_env, tmp_path):
    """A real Ctrl-C (SIGINT) to the command: the current device is recorded as cancelled, the
    notebook written, the next device not started, the kernel shut down."""
    import psutil  # a dependency of ipykernel

    command = [
        sys.executable,
        "-m",
        "jupyterlab_device_bench",
        "run",
        "--devices",
        "cpu",
        "cpu",
        "--kernel",
        nbutil.KERNEL_NAME,
        "--profile",
        "quick",
        "--param",
        "dataset=synthetic",
        "--param",
        "train_size=640",
        "--param",
        "test_size=64",
        "--param",
        "epochs=100000",
        "--output",
        "out.ipynb",
    ]
    env = {**os.environ, "PYTHONPATH": os.fspath(nbutil.REPO_ROOT)}
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Background shells ignore SIGINT; the command must see it as a terminal would send it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        for line in process.stderr:
            if "[1/2] cpu: starting" in line:
                break
        kernel_pid = wait_until_training(process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    lines = out.splitlines()
    assert lines[0].startswith("[1/2] cpu: cancelled in ") and len(lines) == 2
    assert "stopped early" in lines[1]
    nb = read(tmp_path / "out.ipynb")
    (run,) = check_metadata(nb)["runs"]
    assert run["status"] == "cancelled" and run["device"] == "cpu"
    assert run["error"].startswith("cancelled: interrupted (Ctrl-C or SIGTERM) during cell ")
    assert run["machine_label"] and run["train_seconds"] is None
    # The kernel was shut down: its process and its connection file are gone.
    assert not list((kernel_env / "runtime").glob("kernel-*.json"))
    assert not psutil.pid_exists(kernel_pid) or psutil.Process(kernel_pid).status() == "zombie"


# --- the device loop's bookkeeping (a fake execution stands in for the kernel) ---------------


def fake_execution(monkeypatch, outcomes):
    """Each call of runner.execute_notebook takes the next outcome: "ok" fills in a result
    display, an exception instance is raised (after "running" the device cell)."""
    calls = []

    def execute(nb, kernel_name, timeout, cwd, state, setup=None):
        # No kernel, so no cell timing: `setup` (the timing hooks) is not called and the
        # records have no breakdown.
        outcome = outcomes[len(calls)]
        calls.append(nb)
        state["cell"] = runner.tagged(nb, "device-bench-train")[0]
        if isinstance(outcome, BaseException):
            raise outcome
        nb.cells[-1].outputs = [
            nbformat.v4.new_output(
                "display_data", data={runner.RESULT_MIME: sample_result(), "text/plain": "r"}
            )
        ]

    monkeypatch.setattr(runner, "execute_notebook", execute)
    return calls


def test_interrupt_between_devices_keeps_earlier_runs(kernel_env, monkeypatch, tmp_path, capsys):
    calls = fake_execution(monkeypatch, ["ok", KeyboardInterrupt(), "ok"])
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "run",
            "--devices",
            "cpu",
            "cpu",
            "cpu",
            "--kernel",
            nbutil.KERNEL_NAME,
            "--machine-label",
            LABEL,
            "--output",
            "out.ipynb",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 130 and len(calls) == 2
    assert out[1] == (
        "[2/3] cpu: cancelled in 0.0 s: cancelled: interrupted (Ctrl-C or SIGTERM) during "
        "cell device-bench-train"
    )
    runs = check_metadata(read(tmp_path / "out.ipynb"))["runs"]
    assert [run["status"] for run in runs] == ["ok", "cancelled"]
    assert runs[0]["machine_label"] == LABEL


def test_dead_kernel_and_timeout_are_failures(kernel_env, monkeypatch, tmp_path, capsys):
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    calls = fake_execution(
        monkeypatch,
        [DeadKernelError("Kernel died"), CellTimeoutError("too slow"), RuntimeError("odd"), "ok"],
    )
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "run",
            "--devices",
            "cuda:0",
            "cuda:1",
            "mps",
            "cpu",
            "--kernel",
            nbutil.KERNEL_NAME,
            "--timeout",
            "5",
            "--machine-label",
            LABEL,
            "--output",
            "out.ipynb",
        ]
    )
    assert code == 1 and len(calls) == 4
    runs = check_metadata(read(tmp_path / "out.ipynb"))["runs"]
    assert [run["status"] for run in runs] == ["failed", "failed", "failed", "ok"]
    assert runs[0]["error"].startswith(
        "DeadKernelError: the kernel died during cell device-bench-train"
    )
    assert runs[1]["error"] == (
        "CellTimeoutError: cell device-bench-train ran longer than the 5 s cell timeout"
    )
    assert runs[2]["error"] == "RuntimeError: odd (cell device-bench-train)"
    assert [run["device"] for run in runs] == ["cuda:0", "cuda:1", "mps", "cpu"]
    assert "4 run(s): 1 ok, 3 failed;" in capsys.readouterr().out


# --- refused before anything runs ----------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--devices", "cuda:01"], "is not a device"),
        (["--devices", "cpu", "gpu"], "is not a device"),
        (["--devices", 'cuda:0"); import os; ("'], "is not a device"),
        (["--devices", "cpu", "--param", "nonexistent=1"], "unknown parameter 'nonexistent'"),
        (["--devices", "cpu", "--param", "__import__=1"], "unknown parameter"),
        (["--devices", "cpu", "--param", "epochs=[1]"], "must be a string, number"),
        (["--devices", "cpu", "--param", 'epochs={"a": 1}'], "must be a string, number"),
        (["--devices", "cpu", "--param", "learning_rate=NaN"], "must be a string, number"),
        (["--devices", "cpu", "--param", "epochs"], "NAME=VALUE"),
        (["--devices", "cpu", "--profile", "quick", "--param", "profile=seed"], "profile once"),
        (["--devices", "cpu", "--kernel", "no-such-kernel"], "no Jupyter kernel"),
        (["--devices", "cpu", "--machine-label", ""], "machine label"),
        (["--devices", "cpu", "--notebook", "missing.ipynb"], "cannot read the notebook"),
    ],
)
def test_refused_before_running(
    kernel_env, no_kernel, monkeypatch, tmp_path, capsys, args, message
):
    monkeypatch.chdir(tmp_path)
    argv = ["run", "--kernel", nbutil.KERNEL_NAME, *args, "--output", "out.ipynb"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was written" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_history_must_be_positive(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--devices", "cpu", "--history", value, "--output", str(tmp_path / "o")])
    assert info.value.code == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("where", ["input", "output"])
@pytest.mark.parametrize(
    "value, message",
    [([1, 2], "is a list, not an object"), ({"runs": {"a": 1}}, "does not match its schema")],
)
def test_malformed_metadata_is_never_overwritten(
    kernel_env, no_kernel, monkeypatch, tmp_path, capsys, where, value, message
):
    monkeypatch.chdir(tmp_path)
    path = notebook_with(tmp_path, f"{where}.ipynb", device_bench=value)
    before = path.read_bytes()
    argv = ["run", "--devices", "cpu", "--kernel", nbutil.KERNEL_NAME, "--output", "output.ipynb"]
    if where == "input":
        argv += ["--notebook", "input.ipynb"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was changed" in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{where}.ipynb"]


# --- notebook preparation (pure) -----------------------------------------------------------


def test_parse_param_value():
    parse = runner.parse_param_value
    assert parse("1") == 1 and parse("0.02") == 0.02 and parse("1e3") == 1000.0
    assert parse("true") is True and parse("False") is False
    assert parse("null") is None and parse("None") is None
    assert parse("quick") == "quick" and parse('"007"') == "007" and parse("") == ""
    assert parse("../data/mnist") == "../data/mnist" and parse("[1]") == [1]


def test_injected_values_are_repr_only():
    hostile = 'x"\nimport os\nos.system("echo pwned")  # \\'
    nb = runner.load_notebook(None)
    params = runner.check_params(nb, {"data_dir": hostile, "epochs": 2, "repeat_to": None})
    source = runner.injected_parameters_source(params)
    tree = ast.parse(source)
    assert len(tree.body) == 3 and all(isinstance(node, ast.Assign) for node in tree.body)
    assert {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body} == params
    with pytest.raises(runner.RunnerError):
        runner.injected_parameters_source({"a; b": 1})
    with pytest.raises(runner.RunnerError):
        runner.injected_parameters_source({"epochs": [1]})


def test_prepare_notebook_cells():
    nb = runner.load_notebook(None)
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", text="stale")]
    first = runner.prepare_notebook(nb, "cuda:0", {"epochs": 1})
    second = runner.prepare_notebook(first, "mps", {"epochs": 2, "profile": "quick"})
    parameters = runner.tagged(second, "parameters")[0]
    assert runner.tagged(second, "injected-parameters") == [parameters + 1]
    assert second.cells[parameters + 1].source == (
        '# Parameters injected by jupyterlab-device-bench\nepochs = 2\nprofile = "quick"'
    )
    assert runner.tagged(second, runner.DEVICE_TAG) == [parameters + 3]  # after the markdown
    assert second.cells[parameters + 3].source == records.device_cell_source("mps")
    assert second.cells[-1].outputs == [] and len(second.cells) == len(nb.cells) + 1
    assert nb.cells[-1].outputs  # the input is copied, not changed
    nbformat.validate(second)

    # No device cell: one is inserted right after the (injected) parameters.
    del nb.cells[runner.tagged(nb, runner.DEVICE_TAG)[0]]
    inserted = runner.prepare_notebook(nb, "cpu", {"epochs": 1})
    assert runner.tagged(inserted, runner.DEVICE_TAG) == [parameters + 2]
    plain = runner.prepare_notebook(nb, "cpu", {})
    assert runner.tagged(plain, "injected-parameters") == []
    assert runner.tagged(plain, runner.DEVICE_TAG) == [parameters + 1]


def test_bundled_notebook_is_the_repository_notebook():
    assert runner.load_notebook(None) == read(nbutil.NOTEBOOK)
    assert set(runner.parameter_defaults(read(nbutil.NOTEBOOK))) >= {
        "profile",
        "epochs",
        "data_dir",
        "train_size",
        "split_from_test",
    }
