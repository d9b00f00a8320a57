"""Tests of celltiming.py, the kernel-side cell timing.

The CUDA, MPS and XPU branches run against clearly named fakes (``fake_cuda`` ...: this
machine has none of them); the CPU branch, the peak RSS and the silent install / take /
uninstall protocol run for real, the last one in a real ipykernel.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

import pytest

from jupyterlab_device_bench import notebook_timing, records

SOURCE = Path(__file__).resolve().parents[1] / "celltiming.py"


@pytest.fixture
def ct():
    """A fresh copy of celltiming.py as a module (not registered in sys.modules)."""
    spec = importlib.util.spec_from_file_location("celltiming_under_test", SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decode(text: str) -> dict:
    return json.loads(base64.b64decode(text).decode("utf-8"))


class FakeAccelerator:
    """Stands in for torch.cuda / torch.xpu: records every call; synchronize() sleeps."""

    def __init__(self, initialized=True, sleep=0.0, fail=False):
        self.calls = []
        self.initialized = initialized
        self.sleep = sleep
        self.fail = fail

    def is_initialized(self):
        return self.initialized

    def synchronize(self, *args):
        self.calls.append(("synchronize", args))
        if self.fail:
            raise RuntimeError("fake device lost")
        time.sleep(self.sleep)

    def reset_peak_memory_stats(self, *args):
        self.calls.append(("reset_peak_memory_stats", args))

    def max_memory_allocated(self, *args):
        return 1000

    def max_memory_reserved(self, *args):
        return 2000

    def get_device_name(self, index=None):
        return "Fake GPU"


class FakeMps:
    def __init__(self):
        self.calls = []

    def synchronize(self):
        self.calls.append("synchronize")

    def driver_allocated_memory(self):
        return 4096


def fake_torch(cuda=None, xpu=None, mps=None, mps_available=False):
    torch = types.ModuleType("torch")
    torch.__version__ = "2.99.0+fake"
    torch.version = types.SimpleNamespace(cuda="12.4" if cuda else None)
    torch.cuda = cuda or FakeAccelerator(initialized=False)
    if xpu is not None:
        torch.xpu = xpu
    torch.mps = mps or FakeMps()
    torch.backends = types.SimpleNamespace(
        mps=types.SimpleNamespace(is_available=lambda: mps_available),
        cudnn=types.SimpleNamespace(is_available=lambda: cuda is not None, version=lambda: 90100),
    )
    return torch


@pytest.mark.parametrize(
    ("device", "args"), [("cuda:0", (0,)), ("cuda:3", (3,)), ("cuda", ()), ("auto", ())]
)
def test_cuda_is_synchronised_with_its_index(ct, monkeypatch, device, args):
    fake_cuda = FakeAccelerator()
    monkeypatch.setitem(sys.modules, "torch", fake_torch(cuda=fake_cuda))
    kind, index = ct.parse_device(device)
    assert ct.synchronize(kind, index) is True
    ct.reset_peak(kind, index)
    assert fake_cuda.calls == [("synchronize", args), ("reset_peak_memory_stats", args)]
    assert ct.device_memory(kind, index) == {
        "max_allocated_bytes": 1000,
        "max_reserved_bytes": 2000,
    }
    assert ct.device_name(kind, index) == "Fake GPU"


def test_cuda_not_initialised_is_not_touched(ct, monkeypatch):
    """A cell that never used the GPU is not charged a CUDA context."""
    fake_cuda = FakeAccelerator(initialized=False)
    monkeypatch.setitem(sys.modules, "torch", fake_torch(cuda=fake_cuda))
    assert ct.synchronize("cuda", 0) is False
    ct.reset_peak("cuda", 0)
    assert ct.device_memory("cuda", 0) == {}
    assert fake_cuda.calls == []
    assert ct.active_kind("auto") == "cpu"


def test_xpu_branch(ct, monkeypatch):
    fake_xpu = FakeAccelerator()
    monkeypatch.setitem(sys.modules, "torch", fake_torch(xpu=fake_xpu))
    assert ct.synchronize("xpu", 1) is True
    assert fake_xpu.calls == [("synchronize", (1,))]
    assert ct.device_memory("xpu", 1)["max_reserved_bytes"] == 2000
    assert ct.active_kind("auto") == "xpu"


def test_mps_branch(ct, monkeypatch):
    fake_mps = FakeMps()
    monkeypatch.setitem(sys.modules, "torch", fake_torch(mps=fake_mps, mps_available=True))
    assert ct.synchronize("mps", None) is True
    assert fake_mps.calls == ["synchronize"]
    assert ct.device_memory("mps", None) == {"driver_allocated_bytes": 4096}
    assert ct.active_kind("auto") == "mps"
    assert ct.device_name("mps", None) == "Apple MPS"


def test_mps_unavailable_is_not_synchronised(ct, monkeypatch):
    fake_mps = FakeMps()
    monkeypatch.setitem(sys.modules, "torch", fake_torch(mps=fake_mps, mps_available=False))
    assert ct.synchronize("mps", None) is False
    assert fake_mps.calls == []


def test_cpu_and_no_torch_do_nothing(ct, monkeypatch):
    fake_cuda = FakeAccelerator()
    monkeypatch.setitem(sys.modules, "torch", fake_torch(cuda=fake_cuda))
    assert ct.synchronize("cpu", None) is False
    assert ct.device_memory("cpu", None) == {}
    assert fake_cuda.calls == []
    monkeypatch.delitem(sys.modules, "torch")
    assert ct.synchronize("cuda", 0) is False  # torch never imported: nothing is imported
    assert "torch" not in sys.modules
    assert ct.versions()["torch"] is None


def test_peak_rss_units(ct, monkeypatch):
    import resource

    real = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert ct.peak_rss_bytes("linux") == real * 1024 > 10 << 20  # the real figure, in bytes
    monkeypatch.setattr(
        resource, "getrusage", lambda who: types.SimpleNamespace(ru_maxrss=5_000_000)
    )
    assert ct.peak_rss_bytes("darwin") == 5_000_000  # macOS counts bytes
    assert ct.peak_rss_bytes("linux") == 5_000_000 * 1024  # Linux counts KiB


@pytest.mark.parametrize("device", ["gpu", "cuda:01", "cuda:0\n", "cpu;import os", 0, None])
def test_devices_outside_the_allowlist_are_refused(ct, device):
    with pytest.raises(ValueError):
        ct.parse_device(device)
    with pytest.raises(records.InvalidDeviceError):
        notebook_timing.install_expression("", device)


class FakeShell:
    """Stands in for the IPython shell: its events registry, and nothing else."""

    def __init__(self):
        from IPython.core.events import EventManager, available_events

        self.events = EventManager(self, available_events)


def run_fake_cell(shell, seconds, error=None, count=1):
    shell.events.trigger("pre_run_cell", None)
    time.sleep(seconds)
    result = types.SimpleNamespace(
        execution_count=count, error_in_exec=error, error_before_exec=None
    )
    shell.events.trigger("post_run_cell", result)


def test_hooks_charge_the_sync_to_the_cell_and_clean_up(ct, monkeypatch):
    fake_cuda = FakeAccelerator(sleep=0.05)
    monkeypatch.setitem(sys.modules, "torch", fake_torch(cuda=fake_cuda))
    shell = FakeShell()
    monkeypatch.setattr(ct, "_shell", lambda: shell)
    module = types.ModuleType(ct.MODULE_NAME)
    module.uninstall = ct.uninstall
    status = decode(ct.install(module, "cuda:0"))
    assert status["installed"] is True
    assert sys.modules[ct.MODULE_NAME] is module
    try:
        run_fake_cell(shell, 0.02, count=1)
        run_fake_cell(shell, 0.0, error=ZeroDivisionError("x"), count=2)
        first = decode(ct.take())["cells"]
        assert decode(ct.take())["cells"] == []  # taken once
        assert [cell["execution_count"] for cell in first] == [1, 2]
        assert first[0]["ok"] is True and first[1]["ok"] is False
        assert first[1]["error"] == "ZeroDivisionError"
        assert first[0]["synchronized"] is True
        # The 50 ms the device took to finish is the cell's, not lost.
        assert first[0]["seconds"] >= 0.07 - 0.005
        assert first[0]["sync_seconds"] >= 0.05 - 0.005
        assert first[0]["memory"]["max_allocated_bytes"] == 1000
        assert first[0]["memory"]["peak_rss_bytes"] > 0
        resets = [call for call in fake_cuda.calls if call[0] == "reset_peak_memory_stats"]
        assert resets == [("reset_peak_memory_stats", (0,))] * 2
    finally:
        final = decode(ct.uninstall())
    assert final["device_name"] == "Fake GPU" and final["resolved_kind"] == "cuda"
    assert final["versions"]["torch"] == "2.99.0+fake"
    assert ct.MODULE_NAME not in sys.modules
    assert shell.events.callbacks["pre_run_cell"] == []
    assert shell.events.callbacks["post_run_cell"] == []


def test_a_failing_sync_is_recorded_not_raised(ct, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", fake_torch(cuda=FakeAccelerator(fail=True)))
    shell = FakeShell()
    monkeypatch.setattr(ct, "_shell", lambda: shell)
    ct.install(types.ModuleType(ct.MODULE_NAME), "cuda:0")
    try:
        run_fake_cell(shell, 0.0)
        (cell,) = decode(ct.take())["cells"]
    finally:
        ct.uninstall()
    assert cell["timing_error"] == "RuntimeError: fake device lost"
    assert "Error in callback" not in capsys.readouterr().out  # nothing printed into the cell


# --------------------------------------------------------------------------- a real kernel


@pytest.fixture(scope="module")
def kernel(kernel_env):
    from jupyter_client.manager import start_new_kernel

    from jupyterlab_device_bench.tests.nbutil import KERNEL_NAME

    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def silent(kc, expression):
    """One silent request; (decoded document or raw entry, iopub messages of it)."""
    msg_id = kc.execute("", silent=True, store_history=False, user_expressions={"x": expression})
    # Skip replies to earlier requests: on a loaded machine start_new_kernel's wait_for_ready
    # can send kernel_info more than once, and the extra replies wait on the shell channel.
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        assert reply["msg_type"] == "kernel_info_reply", reply["msg_type"]
        reply = kc.get_shell_msg(timeout=60)
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=10)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    entry = reply["content"]["user_expressions"]["x"]
    assert entry["status"] == "ok", entry
    return entry["data"]["text/plain"], messages


def state(kc):
    text, _ = silent(
        kc,
        "repr((sorted(globals()), get_ipython().execution_count, len(In), "
        "len(get_ipython().events.callbacks['pre_run_cell']), "
        "len(get_ipython().events.callbacks['post_run_cell']), "
        "'_device_bench_celltiming' in __import__('sys').modules))",
    )
    return text


def cell(kc, code):
    reply = kc.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
    return reply["content"]


def test_silent_protocol_leaves_nothing_behind(kernel):
    """install, take and uninstall change no name, count, history or hook, and print nothing."""
    source = SOURCE.read_text(encoding="utf-8")
    cell(kernel, "a = 1")
    before = state(kernel)
    for expression in (
        notebook_timing.install_expression(source, "cpu"),
        notebook_timing.TAKE_EXPRESSION,
        notebook_timing.UNINSTALL_EXPRESSION,
    ):
        text, messages = silent(kernel, expression)
        kinds = {msg["msg_type"] for msg in messages}
        assert kinds == {"status"}, kinds  # no stream, display, error or execute_input
        document = notebook_timing.decode_reply(
            {
                "user_expressions": {
                    notebook_timing.EXPRESSION_KEY: {"status": "ok", "data": {"text/plain": text}}
                }
            }
        )
        assert document["schema_version"] == 1
    assert state(kernel) == before


def test_real_cells_are_timed_on_the_kernel_clock(kernel):
    source = SOURCE.read_text(encoding="utf-8")
    silent(kernel, notebook_timing.install_expression(source, "cpu"))
    try:
        # 1 s, so that the kernel's own overhead around a cell (tens of ms; 0.32 s was seen for
        # a 0.2 s sleep at load average 10) is small against the second of slack allowed.
        cell(kernel, "import time; time.sleep(1.0)")
        cell(kernel, "1/0")
        text, _ = silent(kernel, notebook_timing.TAKE_EXPRESSION)
    finally:
        silent(kernel, notebook_timing.UNINSTALL_EXPRESSION)
    import ast

    cells = decode(ast.literal_eval(text))["cells"]
    assert len(cells) == 2
    assert 1.0 <= cells[0]["seconds"] < 2.0, cells[0]
    assert cells[0]["ok"] is True and cells[0]["synchronized"] is False
    assert cells[1]["ok"] is False and cells[1]["error"] == "ZeroDivisionError"
    assert cells[1]["memory"]["peak_rss_bytes"] > 10 << 20
    # The kernel's own numbering: the failing cell counts after the first.
    assert cells[1]["execution_count"] == cells[0]["execution_count"] + 1
