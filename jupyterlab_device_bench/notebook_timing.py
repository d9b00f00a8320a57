"""``python -m jupyterlab_device_bench time-notebook NOTEBOOK --device cpu --device cuda:0``:
which device should this notebook use?

For every device (and every repeat, interleaved: cpu, cuda:0, cpu, cuda:0, ...) the notebook
runs in a fresh kernel with its device cell (the picker's ``device-bench-device`` tag) set to
that device. The timed part is the whole notebook, or the cells from the one tagged
``device-bench-start`` to the one tagged ``device-bench-stop``; cells before it run untimed
(imports, data), cells after it do not run. Each timed cell is timed in the kernel by
``celltiming.py`` (hooks installed and removed by silent requests, the device synchronised at
the end of every cell); one ``kind: "notebook"`` run record per run, then the recommendation
(recommend.py). See docs/own-notebook.md.

Every input is checked before a kernel starts (devices against the allowlist, parameters
against the notebook's ``parameters`` cell, the tags); nothing runs when a check fails.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat

from . import contract, recommend, records, runner

START_TAG = contract.TAGS["timed_start"]
STOP_TAG = contract.TAGS["timed_stop"]
KIND = "notebook"
EXPRESSION_KEY = "device_bench_timing"
SOURCE_PATH = Path(__file__).with_name("celltiming.py")
MODULE_NAME = "_device_bench_celltiming"
#: Seconds one silent request may take before the run counts as failed.
SILENT_TIMEOUT = 60


class TimingError(Exception):
    """The kernel-side timing did not answer as it should; the run fails."""


# --------------------------------------------------------------------------- silent requests


def install_expression(source: str, device: str) -> str:
    """The ``user_expressions`` entry that loads celltiming.py into a private module and hooks
    the cell events; `device` must pass the allowlist (it is written as a string literal)."""
    valid = records.validate_device(device)
    return (
        "(lambda m: (__import__('builtins').exec("
        + repr(source)
        + ", m.__dict__), m.install(m, "
        + repr(valid)
        + "))[1])(__import__('types').ModuleType("
        + repr(MODULE_NAME)
        + "))"
    )


TAKE_EXPRESSION = f"__import__('sys').modules[{MODULE_NAME!r}].take()"
UNINSTALL_EXPRESSION = f"__import__('sys').modules[{MODULE_NAME!r}].uninstall()"


def decode_reply(content: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document of our ``user_expressions`` entry in an execute reply's content."""
    entry = (content.get("user_expressions") or {}).get(EXPRESSION_KEY)
    if not isinstance(entry, Mapping):
        raise TimingError(
            f"the kernel did not evaluate the timing request ({content.get('status')})"
        )
    if entry.get("status") != "ok":
        raise TimingError(
            f"the timing request failed in the kernel: {entry.get('ename')}: {entry.get('evalue')}"
        )
    text = (entry.get("data") or {}).get("text/plain", "")
    try:
        value = ast.literal_eval(text)
        document = json.loads(base64.b64decode(value, validate=True).decode("utf-8"))
    except (ValueError, SyntaxError, TypeError) as exc:
        raise TimingError(
            "the kernel answered the timing request with an unexpected value"
        ) from exc
    if not isinstance(document, dict):
        raise TimingError("the kernel answered the timing request with an unexpected document")
    return document


async def silent_request(kc: Any, expression: str, timeout: float = SILENT_TIMEOUT) -> dict:
    """Send one silent, history-less execute request with `expression`; its decoded document.

    A request the kernel aborts (it does so to requests arriving just after a failed cell) is
    sent again, up to five times.
    """
    for _attempt in range(5):
        msg_id = kc.execute(
            "",
            silent=True,
            store_history=False,
            user_expressions={EXPRESSION_KEY: expression},
            allow_stdin=False,
            stop_on_error=False,
        )
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimingError(f"the kernel did not answer a timing request in {timeout} s")
            try:
                reply = await kc.get_shell_msg(timeout=left)
            except queue.Empty:
                continue  # the deadline check above ends the wait
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") == "aborted":
            await asyncio.sleep(0.05)
            continue
        return decode_reply(content)
    raise TimingError("the kernel kept aborting the timing request")


# --------------------------------------------------------------------------- the notebook


def _tags(cell: Mapping[str, Any]) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def cell_label(index: int) -> str:
    """How records name a cell: its 1-based position in the notebook."""
    return f"cell {index + 1}"


@dataclass
class Layout:
    """Where things are in the input notebook (indexes into its cells)."""

    device_cell: int
    start: int
    stop: int
    timed: list[int]  # the code cells from start to stop that have code
    parameters: int | None
    injected: int | None


def layout(nb: nbformat.NotebookNode) -> Layout:
    """The device cell and the timed range; RunnerError when the tags do not make sense."""
    device = runner.tagged(nb, runner.DEVICE_TAG)
    if len(device) != 1:
        raise runner.RunnerError(
            f"the notebook must have exactly one device cell (tagged {runner.DEVICE_TAG!r}; "
            f"it has {len(device)}): pick a device with the device picker first"
        )
    if nb.cells[device[0]].cell_type != "code":
        raise runner.RunnerError(f"the cell tagged {runner.DEVICE_TAG!r} is not a code cell")
    starts, stops = runner.tagged(nb, START_TAG), runner.tagged(nb, STOP_TAG)
    for tag, found in ((START_TAG, starts), (STOP_TAG, stops)):
        if len(found) > 1:
            raise runner.RunnerError(
                f"{len(found)} cells are tagged {tag!r}; keep the tag on one of them"
            )
    start = starts[0] if starts else 0
    stop = stops[0] if stops else len(nb.cells) - 1
    if stop < start:
        raise runner.RunnerError(
            f"the cell tagged {STOP_TAG!r} ({cell_label(stop)}) comes before the one tagged "
            f"{START_TAG!r} ({cell_label(start)})"
        )
    timed = [
        i
        for i in range(start, stop + 1)
        if nb.cells[i].cell_type == "code" and nb.cells[i].source.strip()
    ]
    if not timed:
        raise runner.RunnerError("there is no code cell to time between the start and stop tags")
    parameters = runner.tagged(nb, runner.PARAMETERS_TAG)
    injected = runner.tagged(nb, runner.INJECTED_TAG)
    return Layout(
        device_cell=device[0],
        start=start,
        stop=stop,
        timed=timed,
        parameters=parameters[0] if len(parameters) == 1 else None,
        injected=injected[0] if injected else None,
    )


def code_sha256(nb: nbformat.NotebookNode, where: Layout) -> str:
    """What ran, as one hash: sha256 over, for each timed code cell in order (the device cell
    and papermill's injected parameters left out: they differ by run, and the record says the
    device and parameters), the hex sha256 of its source (UTF-8, line ends as ``\\n``) and a
    newline. The same code gives the same hash on any machine."""
    outer = hashlib.sha256()
    for index in where.timed:
        if index in (where.device_cell, where.injected):
            continue
        source = nb.cells[index].source.replace("\r\n", "\n").replace("\r", "\n")
        outer.update(hashlib.sha256(source.encode("utf-8")).hexdigest().encode("ascii") + b"\n")
    return outer.hexdigest()


def prepare(
    nb: nbformat.NotebookNode, where: Layout, device: str, params: Mapping[str, Any]
) -> tuple[nbformat.NotebookNode, list[int | None]]:
    """The notebook to execute for `device`: cells up to the stop cell, outputs cleared, the
    device cell set, the parameters injected papermill-style (an existing injected cell is
    rewritten, otherwise one is added after the parameters cell). Also, for every cell of it,
    its index in the input notebook (None for an added cell)."""
    out = copy.deepcopy(nb)
    out.cells = out.cells[: where.stop + 1]
    origin: list[int | None] = list(range(len(out.cells)))
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    out.cells[where.device_cell].source = records.device_cell_source(device)
    if params:
        source = runner.injected_parameters_source(params)
        if where.injected is not None and where.injected < len(out.cells):
            out.cells[where.injected].source = source
        else:
            assert where.parameters is not None  # check_params refused otherwise
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["tags"] = [runner.INJECTED_TAG]
            if (out.nbformat, out.nbformat_minor) < (4, 5):
                cell.pop("id", None)
            out.cells.insert(where.parameters + 1, cell)
            origin.insert(where.parameters + 1, None)
    return out, origin


# --------------------------------------------------------------------------- one run


@dataclass
class _Run:
    """What the hooks collect during one run."""

    source: str
    device: str
    timed: set[int]  # input indexes
    origin: list[int | None]
    installed: bool = False
    finished: bool = False
    entries: dict[int, dict] = field(default_factory=dict)  # input index -> kernel entry
    final: dict | None = None
    wall_start: float | None = None
    wall_end: float | None = None
    bookkeeping: float = 0.0  # seconds of take requests inside the wall window
    #: True: each timed cell's own request carries the take expression (no extra round
    #: trip); False: a silent take request after each cell (what a client that cannot add
    #: user_expressions to a cell's request must do).
    attach: bool = True
    current: int | None = None  # input index of the running cell
    error: str | None = None  # the failing cell's error, from the reply
    #: True: a timing request that fails only drops the breakdown (see `hook`).
    optional: bool = False
    problem: str | None = None  # why an optional timing gave up


def _client(nb: nbformat.NotebookNode, kernel_name: str, timeout: int | None, cwd: Path, run: _Run):
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        resources={"metadata": {"path": os.fspath(cwd)}},
    )
    return hook(client, run)


def hook(client: Any, run: _Run) -> Any:
    """Time `run.timed` cells of the nbclient `client`'s notebook with celltiming.py: install
    the hooks (a silent request) before the first timed cell, let each timed cell's request
    carry the take, uninstall after the last one or the failing one. The entries land in
    `run`. Used by time-notebook and by the headless MNIST runner (runner.run_device)."""

    def attach_take() -> None:
        """Let every timed cell's own execute request carry the take expression: the kernel
        evaluates it after the cell (and its post_run_cell hook) and returns the entry in the
        cell's reply, so timing a cell costs no extra round trip."""
        execute = client.kc.execute

        def execute_with_take(code: str, *args: Any, **kwargs: Any) -> str:
            if run.attach and run.current in run.timed and "user_expressions" not in kwargs:
                kwargs["user_expressions"] = {EXPRESSION_KEY: TAKE_EXPRESSION}
            return execute(code, *args, **kwargs)

        client.kc.execute = execute_with_take

    async def on_cell_execute(cell: Any, cell_index: int) -> None:
        index = run.origin[cell_index]
        run.current = index
        if index not in run.timed:
            return
        if not run.installed:
            status = await silent_request(client.kc, install_expression(run.source, run.device))
            if not status.get("installed"):
                raise TimingError(f"cannot time the cells: {status.get('error')}")
            run.installed = True
            attach_take()
        if run.wall_start is None:
            run.wall_start = time.perf_counter()

    async def on_cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        index = run.origin[cell_index]
        if index not in run.timed or not run.installed or run.finished:
            return
        run.wall_end = now = time.perf_counter()
        content = (execute_reply or {}).get("content", {})
        failed = content.get("status") != "ok"
        if failed:
            run.error = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
        elif run.attach:
            # The kernel evaluates user_expressions only after a cell that succeeded.
            cells = decode_reply(content).get("cells") or []
            if cells:
                run.entries[index] = cells[-1]
        last = failed or index == max(run.timed)
        if last:
            document = await silent_request(client.kc, UNINSTALL_EXPRESSION)
        elif not run.attach:
            document = await silent_request(client.kc, TAKE_EXPRESSION)
            run.bookkeeping += time.perf_counter() - now
        else:
            return
        cells = document.get("cells") or []
        if cells:
            run.entries[index] = cells[-1]
        if last:
            run.final = document
            run.finished = True

    if run.optional:
        # The breakdown of a benchmark run is extra: a timing request that fails leaves the
        # run without it (run.problem says why), never fails the benchmark itself.
        def guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
            async def call(*args: Any, **kwargs: Any) -> None:
                if run.problem is not None:
                    return
                try:
                    await callback(*args, **kwargs)
                except (TimingError, KeyError, ValueError) as exc:
                    run.problem = str(exc)[:300]
                    run.installed = False
                    run.finished = True

            return call

        client.on_cell_execute = guarded(on_cell_execute)
        client.on_cell_executed = guarded(on_cell_executed)
    else:
        client.on_cell_execute = on_cell_execute
        client.on_cell_executed = on_cell_executed
    return client


def whole_notebook_run(nb: nbformat.NotebookNode, device: str) -> _Run:
    """What `hook` needs to time every code cell that has code of `nb` as it runs (the
    benchmark notebook, headless): the breakdown is optional (a timing failure only drops it)."""
    timed = {
        i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()
    }
    return _Run(
        source=SOURCE_PATH.read_text(encoding="utf-8"),
        device=device,
        timed=timed,
        origin=list(range(len(nb.cells))),
        optional=True,
    )


def breakdown(
    run: _Run, words: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], dict[str, int]] | None:
    """The record's ``cells`` and ``peak_memory`` of a `whole_notebook_run`, or None when the
    timing did not finish (it failed, or the notebook stopped before its last code cell)."""
    if not run.finished or run.problem is not None or run.final is None:
        return None
    cells = [records.timed_cell(i, run.entries.get(i), words) for i in sorted(run.timed)]
    return cells, records.peak_memory(cells, run.final.get("peak_rss_bytes"))


def _execute(client: Any) -> None:
    """Run the client in its own thread and event loop so that Ctrl-C reaches this thread as
    a KeyboardInterrupt (as runner.execute_notebook does); the kernel is shut down either way."""
    box: dict[str, Any] = {}
    done = threading.Event()

    async def main() -> None:
        box["loop"] = asyncio.get_running_loop()
        box["task"] = asyncio.current_task()
        await client.async_execute()

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name="device-bench-time-notebook", daemon=True)
    thread.start()
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        client.shutdown_kernel = "immediate"
        if "loop" in box:
            with contextlib.suppress(RuntimeError):
                box["loop"].call_soon_threadsafe(box["task"].cancel)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait(30)
        raise
    if "error" in box:
        raise box["error"]


@dataclass
class TimeOptions:
    notebook: Path
    devices: Sequence[str]
    repeat: int = 1
    params: Mapping[str, Any] = field(default_factory=dict)
    kernel_name: str | None = None
    machine_label: str | None = None
    timeout: int | None = None
    output: Path | None = None
    save_notebook: Path | None = None
    history: int = records.DEFAULT_HISTORY
    cwd: Path | None = None


@dataclass
class TimePlan:
    notebook: nbformat.NotebookNode
    name: str
    where: Layout
    code_hash: str
    devices: list[str]
    repeat: int
    params: dict[str, Any]
    kernel_name: str
    machine_label: str | None
    timeout: int | None
    cwd: Path
    output: Path | None
    save_notebook: Path | None
    history: int
    metadata: dict[str, Any] | None = None  # of the notebook to save into


def plan(options: TimeOptions) -> TimePlan:
    """Check everything the user gave; RunnerError (nothing run, nothing written) otherwise."""
    try:
        devices = [records.validate_device(device) for device in options.devices]
    except records.InvalidDeviceError as exc:
        raise runner.RunnerError(str(exc)) from exc
    if not devices:
        raise runner.RunnerError("give at least one --device")
    if not isinstance(options.repeat, int) or options.repeat < 1:
        raise runner.RunnerError("--repeat must be a positive number of runs")
    if options.timeout is not None and options.timeout < 1:
        raise runner.RunnerError("--timeout must be a positive number of seconds")
    if not isinstance(options.history, int) or options.history < 1:
        raise runner.RunnerError("--history must be a positive number of runs")
    nb = runner.load_notebook(Path(options.notebook))
    where = layout(nb)
    params = runner.check_params(nb, options.params) if options.params else {}
    for target in (options.output, options.save_notebook):
        if target is not None:
            target = Path(target)
            if target.is_dir() or not target.parent.is_dir():
                raise runner.RunnerError(f"cannot write {target}: no such folder, or a folder")
            runner.check_writable(target)
    metadata = None
    if options.save_notebook is not None:
        saved = Path(options.save_notebook)
        source = runner.load_notebook(saved) if saved.exists() else nb
        try:
            metadata = records.check_metadata(
                source.metadata.get(records.METADATA_KEY), f"the notebook {saved.name}"
            )
        except records.MalformedMetadataError as exc:
            raise runner.RunnerError(str(exc)) from exc
    kernel_name = options.kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    runner.check_kernel(kernel_name)
    label = None
    if options.machine_label is not None:
        try:
            label = records.check_machine_label(options.machine_label)
        except ValueError as exc:
            raise runner.RunnerError(str(exc)) from exc
    return TimePlan(
        notebook=nb,
        name=Path(options.notebook).name,
        where=where,
        code_hash=code_sha256(nb, where),
        devices=devices,
        repeat=options.repeat,
        params=params,
        kernel_name=kernel_name,
        machine_label=label,
        timeout=options.timeout,
        cwd=Path(options.cwd or os.getcwd()),
        output=Path(options.output) if options.output is not None else None,
        save_notebook=Path(options.save_notebook) if options.save_notebook else None,
        history=options.history,
        metadata=metadata,
    )


def run_once(
    p: TimePlan,
    device: str,
    repeat: int,
    words: Sequence[str] = (),
    cpu_name: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """One run of the notebook on `device` in a fresh kernel: (record, cancelled)."""
    nb, origin = prepare(p.notebook, p.where, device, p.params)
    run = _Run(
        source=SOURCE_PATH.read_text(encoding="utf-8"),
        device=device,
        timed=set(p.where.timed),
        origin=origin,
    )
    started_at = records.utc_now()
    failure: str | None = None
    cancelled = False
    client = _client(nb, p.kernel_name, p.timeout, p.cwd, run)
    try:
        _execute(client)
    except KeyboardInterrupt:
        cancelled = True
        failure = f"cancelled: interrupted (Ctrl-C or SIGTERM) during {_where(run)}"
    except Exception as exc:
        failure = _failure_text(exc, _where(run), p.timeout)
    finished_at = records.utc_now()
    if failure is None and not run.finished:
        failure = "the timed cells did not all report their times"
    return _record(
        p, run, device, repeat, failure, cancelled, started_at, finished_at, words, cpu_name
    ), cancelled


def _failure_text(exc: BaseException, where: str, timeout: int | None) -> str:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(exc, CellExecutionError):
        return f"{exc.ename}: {exc.evalue} ({where})"
    if isinstance(exc, DeadKernelError):
        return f"DeadKernelError: the kernel died during {where}"
    if isinstance(exc, CellTimeoutError):
        return f"CellTimeoutError: {where} ran longer than the {timeout} s cell timeout"
    return f"{type(exc).__name__}: {exc} ({where})"


def public_name(name: str, words: Sequence[str] = ()) -> str:
    """The notebook's base name as records keep it: no folder, no slash or backslash, no
    private word (host or user name), at most 200 characters."""
    base = re.split(r"[/\\]", name)[-1]
    return records.scrub(base, words).replace("/", "_").replace("\\", "_")[:200] or "notebook"


def _where(run: _Run) -> str:
    return "kernel start-up" if run.current is None else cell_label(run.current)


def _record(
    p: TimePlan,
    run: _Run,
    device: str,
    repeat: int,
    failure: str | None,
    cancelled: bool,
    started_at: str,
    finished_at: str,
    words: Sequence[str],
    cpu_name: str | None,
) -> dict[str, Any]:
    final = run.final or {}
    cells = [records.timed_cell(index, run.entries.get(index), words) for index in p.where.timed]
    failed_cells = [cell for cell in cells if cell["status"] == "failed"]
    if failure is None and failed_cells:
        failure = f"{run.error or failed_cells[0]['error']} ({failed_cells[0]['label']})"
    if failure is not None and failed_cells and cell_label(failed_cells[0]["index"]) not in failure:
        failure = f"{failure} [failed: {failed_cells[0]['label']}]"
    ok = failure is None
    total = None
    if ok and run.wall_start is not None and run.wall_end is not None:
        total = max(0.0, run.wall_end - run.wall_start - run.bookkeeping)
    kind = final.get("resolved_kind") or device.split(":")[0]
    resolved = device
    if device == "auto":
        resolved = kind if kind in ("cpu", "mps", "cuda", "xpu") else "cpu"
    name = final.get("device_name") or (cpu_name if resolved == "cpu" else None)
    record: dict[str, Any] = {
        "id": records.new_run_id(),
        "kind": KIND,
        "status": "ok" if ok else ("cancelled" if cancelled else "failed"),
        "source": records.SOURCE,
        "machine_label": p.machine_label or "unknown machine",
        "device": resolved,
        "device_name": name,
        "profile": KIND,
        "params": records.public_params(p.params),
        "notebook": public_name(p.name, words),
        "code_sha256": p.code_hash,
        "timed_range": {
            "start": p.where.start,
            "stop": p.where.stop,
            "cells": len(p.where.timed),
        },
        "repeat": repeat,
        "total_seconds": total,
        "cells": cells,
        "peak_memory": records.peak_memory(cells, final.get("peak_rss_bytes")),
        "versions": final.get("versions"),
        "started_at": started_at,
        "finished_at": finished_at,
        "error": None if ok else (records.scrub(failure, words) or "failed"),
    }
    records.validate_record(record)
    return record


# --------------------------------------------------------------------------- all runs


@dataclass
class TimeSummary:
    records: list[dict[str, Any]] = field(default_factory=list)
    recommendation: dict[str, Any] | None = None
    cancelled: bool = False
    write_error: str | None = None

    @property
    def exit_code(self) -> int:
        if self.write_error is not None:
            return runner.EXIT_NOT_WRITTEN
        if self.cancelled:
            return runner.EXIT_CANCELLED
        if any(record["status"] != "ok" for record in self.records):
            return runner.EXIT_FAILED
        return runner.EXIT_OK


def report_document(p: TimePlan, summary: TimeSummary) -> dict[str, Any]:
    """The --output file: an exported report (report.schema.json) with the recommendation."""
    return {
        "schema_version": records.SCHEMA_VERSION,
        "kind": "device-bench-report",
        "generated_at": records.utc_now(),
        "sources": [Path(p.name).name],
        "runs": summary.records,
        "recommendation": summary.recommendation,
    }


def _write_json(document: Mapping[str, Any], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _save(p: TimePlan, summary: TimeSummary, record: dict[str, Any]) -> None:
    """Write what the user asked for after each run (nothing is lost to a later crash)."""
    try:
        if p.output is not None:
            _write_json(report_document(p, summary), p.output)
        if p.save_notebook is not None and p.metadata is not None:
            p.metadata = records.append_run(p.metadata, record, p.history)
            target = p.save_notebook
            nb = runner.load_notebook(target) if target.exists() else copy.deepcopy(p.notebook)
            nb.metadata[records.METADATA_KEY] = p.metadata
            runner.write_notebook(nb, target)
    except (OSError, runner.RunnerError) as exc:
        summary.write_error = f"{type(exc).__name__}: {exc}"


def describe(record: Mapping[str, Any]) -> str:
    head = f"{record['device']} (run {record['repeat']}): {record['status']}"
    if record["status"] == "ok":
        slowest = max(
            (c for c in record["cells"] if c["seconds"] is not None),
            key=lambda c: c["seconds"],
        )
        return (
            f"{head}, {record['total_seconds']:.3f} s for {len(record['cells'])} timed cells "
            f"(slowest {slowest['label']}: {slowest['seconds']:.3f} s)"
        )
    return f"{head}: {record['error']}"


def time_notebook(
    options: TimeOptions,
    report: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
    summary: TimeSummary | None = None,
) -> TimeSummary:
    """Every device, `repeat` times, interleaved; the records and the recommendation."""
    summary = summary if summary is not None else TimeSummary()
    p = plan(options)
    cpu_name = None
    if p.machine_label is None:
        if progress is not None:
            progress(f"probing a {p.kernel_name} kernel for the machine label")
        probe, problem = runner.probe_kernel(p.kernel_name, p.cwd)
        if problem and progress is not None:
            progress(f"the device probe failed ({problem}); machine label: unknown machine")
        p.machine_label = records.default_machine_label(probe)
        cpu = (probe or {}).get("cpu")
        cpu_name = cpu.get("model") if isinstance(cpu, Mapping) else None
    words = runner.private_words()
    order = [(r, d) for r in range(1, p.repeat + 1) for d in p.devices]
    for number, (repeat, device) in enumerate(order, start=1):
        if progress is not None:
            progress(f"[{number}/{len(order)}] {device}, run {repeat}: starting")
        record, cancelled = run_once(p, device, repeat, words, cpu_name)
        summary.records.append(record)
        summary.recommendation = recommend.recommend(summary.records)
        _save(p, summary, record)
        report(f"[{number}/{len(order)}] " + describe(record))
        if cancelled or summary.write_error is not None:
            summary.cancelled = cancelled
            break
    return summary


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jupyterlab_device_bench time-notebook",
        description=(
            "Time a notebook's cells on one or more devices, each run in a fresh kernel with the "
            "device cell set, and say which device is fastest for it."
        ),
    )
    parser.add_argument("notebook", type=Path, help="the notebook (it needs a device cell)")
    parser.add_argument(
        "--device",
        action="append",
        required=True,
        metavar="DEVICE",
        help="auto, cpu, mps, cuda, cuda:N, xpu or xpu:N; repeat the option for more devices",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per device (default 1)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--output", "-o", type=Path, help="write the records as a JSON report")
    parser.add_argument(
        "--save-notebook",
        type=Path,
        help="append the records to metadata.device_bench.runs of this notebook (may be the input)",
    )
    parser.add_argument("--kernel", help="kernelspec (default: the notebook's, else python3)")
    parser.add_argument("--machine-label")
    parser.add_argument("--timeout", type=int, help="seconds one cell may run (default: no limit)")
    parser.add_argument("--history", type=int, default=records.DEFAULT_HISTORY)
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    summary = TimeSummary()
    try:
        options = TimeOptions(
            notebook=args.notebook,
            devices=args.device,
            repeat=args.repeat,
            params=runner.params_from_cli(args.param),
            kernel_name=args.kernel,
            machine_label=args.machine_label,
            timeout=args.timeout,
            output=args.output,
            save_notebook=args.save_notebook,
            history=args.history,
        )
        time_notebook(
            options,
            report=lambda line: print(line, flush=True),
            progress=lambda line: print(line, file=sys.stderr, flush=True),
            summary=summary,
        )
    except runner.RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was run and nothing was written", file=sys.stderr)
        return runner.EXIT_USAGE
    except KeyboardInterrupt:
        summary.cancelled = True
    if summary.write_error is not None:
        print(f"error: {summary.write_error}", file=sys.stderr)
    if summary.recommendation is not None:
        print(summary.recommendation["text"])
    return summary.exit_code
