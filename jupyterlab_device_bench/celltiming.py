"""Per-cell timing inside the user's kernel: wall time on the kernel's clock, the device
synchronised at the end of every timed cell, peak memory.

This file runs in the user's kernel. The client (the headless ``time-notebook`` command, later
the JupyterLab driver) never runs it as a visible cell: it sends three kinds of *silent*
execute requests (``silent: true, store_history: false``, empty code) whose one
``user_expressions`` entry does the work, so no name, output, history entry or execution count
is left in the user's namespace:

``install``
    executes this source into a fresh module object named :data:`MODULE_NAME`, registers it
    in ``sys.modules`` (outside the user's namespace; that is how the later requests find it)
    and hooks IPython's ``pre_run_cell`` / ``post_run_cell`` events. The device is a string the
    client validated against the picker's allowlist, passed as a Python string literal.
``take``
    returns the timings of the cells that finished since the last ``take``.
``uninstall``
    removes both hooks and the module, and returns the last timings and the versions.

Each expression evaluates to a base64 string of one JSON document, so that the ``text/plain``
repr the kernel sends back is plain ASCII between quotes (as the device probe does).

What a cell's time is: from IPython's ``pre_run_cell`` event (before the cell is transformed
and compiled) to the end of the ``post_run_cell`` callback, after the device is synchronised,
both read with ``time.perf_counter`` in the kernel. Message transport, the kernel's queueing
and the display of the reply are not in it. Silent requests do not fire these events, so the
client's own requests are never timed.

Synchronisation: CUDA ``torch.cuda.synchronize(index)``, XPU ``torch.xpu.synchronize(index)``,
MPS ``torch.mps.synchronize()``, CPU nothing. It happens only when the cell's process has
torch imported and the backend is already initialised: a cell that never touched the GPU is
not charged a CUDA context creation.

Memory: CUDA and XPU ``max_memory_allocated`` / ``max_memory_reserved``, reset at the start of
each cell (so the figures are that cell's peak); MPS ``driver_allocated_memory()`` (MPS has no
peak counter, so this is the value at the end of the cell, a lower bound of its peak); the
kernel process's peak resident set size (``getrusage`` ``ru_maxrss``: KiB on Linux, bytes on
macOS; ``PeakWorkingSetSize`` on Windows), which is the high-water mark of the process since it
started, never reset.

Nothing here may raise into the user's cell: a callback that fails records the reason in the
cell's entry instead (IPython would print a traceback into the cell's output otherwise).
"""

from __future__ import annotations

import base64
import json
import re
import sys
import time

MODULE_NAME = "_device_bench_celltiming"
SCHEMA_VERSION = 1
#: The devices the client may pass (the picker's allowlist, src/notebook/deviceCell.ts).
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|(cuda|xpu)(:(0|[1-9][0-9]{0,2}))?)$")

_state: dict = {}


def _encode(document: dict) -> str:
    text = json.dumps(document, allow_nan=False, default=str)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def parse_device(device: str) -> tuple[str, int | None]:
    """("cuda", 0) for "cuda:0", ("cuda", None) for "cuda", ("auto", None) ...; ValueError
    for anything outside the allowlist."""
    if not isinstance(device, str) or not DEVICE_PATTERN.match(device) or "\n" in device:
        raise ValueError(f"not a device: {str(device)[:40]!r}")
    kind, _, index = device.partition(":")
    return kind, int(index) if index else None


# --------------------------------------------------------------------------- devices


def _torch():
    """torch if the kernel has imported it, else None (never imported from here)."""
    return sys.modules.get("torch")


def _backend(torch, kind: str):
    """The torch backend module for `kind` if it is in use, else None."""
    if torch is None or kind == "cpu":
        return None
    if kind == "cuda":
        cuda = getattr(torch, "cuda", None)
        return cuda if cuda is not None and cuda.is_initialized() else None
    if kind == "xpu":
        xpu = getattr(torch, "xpu", None)
        initialized = getattr(xpu, "is_initialized", None)
        return xpu if xpu is not None and initialized is not None and initialized() else None
    if kind == "mps":
        mps = getattr(torch, "mps", None)
        backends = getattr(getattr(torch, "backends", None), "mps", None)
        if mps is None or backends is None or not backends.is_available():
            return None
        return mps
    return None


def active_kind(kind: str) -> str:
    """The backend `kind` stands for; "auto" is resolved now, from what is in use."""
    if kind != "auto":
        return kind
    torch = _torch()
    for candidate in ("cuda", "xpu", "mps"):
        if _backend(torch, candidate) is not None:
            return candidate
    return "cpu"


def synchronize(kind: str, index: int | None) -> bool:
    """Wait for the device's queued work; True when there was a device to wait for."""
    kind = active_kind(kind)
    backend = _backend(_torch(), kind)
    if backend is None:
        return False
    if kind == "mps":
        backend.synchronize()
    elif index is None:
        backend.synchronize()
    else:
        backend.synchronize(index)
    return True


def reset_peak(kind: str, index: int | None) -> None:
    kind = active_kind(kind)
    backend = _backend(_torch(), kind)
    if backend is not None and kind in ("cuda", "xpu"):
        reset = getattr(backend, "reset_peak_memory_stats", None)
        if reset is not None:
            reset() if index is None else reset(index)


def device_memory(kind: str, index: int | None) -> dict:
    """The device's memory figures for the cell that just ended ({} without a device)."""
    kind = active_kind(kind)
    backend = _backend(_torch(), kind)
    if backend is None:
        return {}
    if kind in ("cuda", "xpu"):
        args = () if index is None else (index,)
        return {
            "max_allocated_bytes": int(backend.max_memory_allocated(*args)),
            "max_reserved_bytes": int(backend.max_memory_reserved(*args)),
        }
    if kind == "mps":
        return {"driver_allocated_bytes": int(backend.driver_allocated_memory())}
    return {}


def peak_rss_bytes(platform: str | None = None) -> int | None:
    """The kernel process's peak resident set size in bytes since it started, or None."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        return _windows_peak_working_set()
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux (and the BSDs) count KiB; macOS counts bytes.
    return int(peak) if platform == "darwin" else int(peak) * 1024


def _windows_peak_working_set() -> int | None:  # pragma: no cover - Windows only
    try:
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):
            _fields_ = [
                ("cb", wintypes.DWORD),
                ("PageFaultCount", wintypes.DWORD),
                ("PeakWorkingSetSize", ctypes.c_size_t),
                ("WorkingSetSize", ctypes.c_size_t),
                ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
                ("QuotaPagedPoolUsage", ctypes.c_size_t),
                ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                ("PagefileUsage", ctypes.c_size_t),
                ("PeakPagefileUsage", ctypes.c_size_t),
            ]

        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        process = ctypes.windll.kernel32.GetCurrentProcess()
        if not ctypes.windll.psapi.GetProcessMemoryInfo(
            process, ctypes.byref(counters), counters.cb
        ):
            return None
        return int(counters.PeakWorkingSetSize)
    except Exception:
        return None


def versions() -> dict:
    """python, torch, cuda, cudnn versions and the device's name, as far as the kernel knows
    them without importing or initialising anything."""
    torch = _torch()
    found = {
        "python": sys.version.split()[0],
        "torch": None,
        "cuda": None,
        "cudnn": None,
    }
    if torch is not None:
        found["torch"] = str(getattr(torch, "__version__", "")) or None
        found["cuda"] = getattr(getattr(torch, "version", None), "cuda", None)
        cudnn = getattr(getattr(torch, "backends", None), "cudnn", None)
        try:
            if cudnn is not None and cudnn.is_available():
                found["cudnn"] = cudnn.version()
        except Exception:
            pass
    return found


def device_name(kind: str, index: int | None) -> str | None:
    kind = active_kind(kind)
    backend = _backend(_torch(), kind)
    if backend is None:
        return None
    try:
        if kind in ("cuda", "xpu"):
            return str(backend.get_device_name(index if index is not None else None))
        if kind == "mps":
            return "Apple MPS"
    except Exception:
        return None
    return None


# --------------------------------------------------------------------------- the hooks


def _pre_run_cell(info=None) -> None:
    state = _state
    try:
        state["error"] = None
        reset_peak(state["kind"], state["index"])
    except BaseException as exc:  # never into the user's cell
        state["error"] = f"{type(exc).__name__}: {exc}"[:300]
    # Last, so that resetting the counters is not charged to the cell.
    state["started"] = time.perf_counter()


def _post_run_cell(result=None) -> None:
    state = _state
    sync_start = time.perf_counter()
    started = state.pop("started", None)
    entry: dict = {"synchronized": False}
    try:
        entry["synchronized"] = synchronize(state["kind"], state["index"])
    except BaseException as exc:
        state["error"] = f"{type(exc).__name__}: {exc}"[:300]
    ended = time.perf_counter()
    try:
        entry["memory"] = device_memory(state["kind"], state["index"])
    except BaseException as exc:
        entry["memory"] = {}
        state["error"] = state.get("error") or f"{type(exc).__name__}: {exc}"[:300]
    entry["memory"]["peak_rss_bytes"] = peak_rss_bytes()
    error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    entry.update(
        execution_count=getattr(result, "execution_count", None),
        seconds=None if started is None else ended - started,
        # The kernel's clock at the cell's start and end (perf_counter seconds), so that a
        # client can take the timed range's total on the kernel's clock too.
        clock_start=started,
        clock_end=ended,
        sync_seconds=ended - sync_start,
        ok=error is None,
        error=None if error is None else type(error).__name__,
        timing_error=state.get("error"),
    )
    state["cells"].append(entry)


def _shell():
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("not running in an IPython kernel")
    return shell


def install(module, device: str) -> str:
    """Hook the shell's cell events; `module` is this source's module object (registered in
    sys.modules under MODULE_NAME). Replaces an earlier installation. Returns the status."""
    try:
        kind, index = parse_device(device)
        previous = sys.modules.get(MODULE_NAME)
        if previous is not None and previous is not module:
            try:
                previous.uninstall()
            except Exception:
                pass
        shell = _shell()
        _state.clear()
        _state.update(device=device, kind=kind, index=index, cells=[], error=None)
        shell.events.register("pre_run_cell", _pre_run_cell)
        shell.events.register("post_run_cell", _post_run_cell)
        sys.modules[MODULE_NAME] = module
        return _encode({"schema_version": SCHEMA_VERSION, "installed": True, "device": device})
    except Exception as exc:
        return _encode(
            {"schema_version": SCHEMA_VERSION, "installed": False, "error": repr(exc)[:300]}
        )


def take() -> str:
    """The entries of the cells that finished since the last take (oldest first)."""
    cells = list(_state.get("cells", []))
    del _state.get("cells", [])[: len(cells)]
    return _encode({"schema_version": SCHEMA_VERSION, "cells": cells})


def uninstall() -> str:
    """Remove the hooks and the module; the last entries, the versions and device name."""
    document = json.loads(base64.b64decode(take()).decode("utf-8"))
    try:
        events = _shell().events
        for name, callback in (("pre_run_cell", _pre_run_cell), ("post_run_cell", _post_run_cell)):
            if callback in events.callbacks.get(name, []):
                events.unregister(name, callback)
    except Exception as exc:
        document["error"] = repr(exc)[:300]
    kind, index = _state.get("kind", "cpu"), _state.get("index")
    document["versions"] = versions()
    document["device_name"] = device_name(kind, index)
    document["resolved_kind"] = active_kind(kind)
    document["peak_rss_bytes"] = peak_rss_bytes()
    _state.clear()
    sys.modules.pop(MODULE_NAME, None)
    return _encode(document)
