"""The headless runner: the benchmark notebook on chosen devices, without a browser.

``python -m jupyterlab_device_bench run --devices cpu cuda:0 --output out.ipynb`` runs the
bundled benchmark notebook (or ``--notebook``) once per device with nbclient, each time in a
fresh kernel, and appends one run record per device to ``metadata.device_bench.runs`` of the
output notebook, in the schema the JupyterLab one-click driver uses (``source: "headless"``).
See docs/headless.md.

Everything a user types is checked before a kernel starts, and nothing is written when a check
fails: devices against the picker's allowlist, parameter names against the assignments of the
notebook's ``parameters`` cell, values to JSON scalars, the existing ``device_bench`` metadata
of the input and output notebooks against the schema.

This module is the run itself (plan, one device, the sequence); its parts live by concern:
``benchmark_notebook`` (the notebook and its parameters), ``execution`` (nbclient, atomic
writes, interrupts), ``kernel_probe`` (the device probe in a kernel), ``records`` (run
records) and ``__main__`` (the command line).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat

from . import records
from .benchmark_notebook import (
    BUNDLED,
    DEVICE_TAG,
    INJECTED_TAG,
    MACHINE_TAG,
    PARAMETERS_TAG,
    RESULT_MIME,
    RESULT_TAG,
    RunnerError,
    bundled_notebook_text,
    cell_label,
    check_params,
    injected_parameters_source,
    load_notebook,
    parameter_defaults,
    params_from_cli,
    parse_param_value,
    prepare_notebook,
    resolved_device,
    result_document,
    tagged,
)
from .execution import check_writable, deferred_interrupt, execute_notebook, write_notebook
from .kernel_probe import PROBE_TIMEOUT, check_kernel, private_words, probe_kernel

__all__ = [
    "BUNDLED",
    "DEVICE_TAG",
    "EXIT_CANCELLED",
    "EXIT_FAILED",
    "EXIT_NOT_WRITTEN",
    "EXIT_OK",
    "EXIT_USAGE",
    "INJECTED_TAG",
    "MACHINE_TAG",
    "PARAMETERS_TAG",
    "PROBE_TIMEOUT",
    "RESULT_MIME",
    "RESULT_TAG",
    "RunOptions",
    "RunSummary",
    "RunnerError",
    "bundled_notebook_text",
    "cell_label",
    "check_kernel",
    "check_params",
    "check_writable",
    "describe",
    "detect_machine_label",
    "execute_notebook",
    "injected_parameters_source",
    "load_notebook",
    "parameter_defaults",
    "params_from_cli",
    "parse_param_value",
    "plan",
    "prepare_notebook",
    "private_words",
    "probe_kernel",
    "resolved_device",
    "result_document",
    "run",
    "run_device",
    "tagged",
    "write_notebook",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_WRITTEN, EXIT_CANCELLED = 0, 1, 2, 3, 130


def detect_machine_label(
    kernel_name: str, cwd: Path, progress: Callable[[str], None] | None = None
) -> str:
    """The default machine label, by the JupyterLab driver's rule (records.default_machine_label)
    from the probe document of a fresh `kernel_name` kernel: CPU model and the names of the
    available non-CPU devices; "unknown machine" when the probe gives no document."""
    report, problem = probe_kernel(kernel_name, cwd)
    if problem and progress is not None:
        progress(f"the device probe failed ({problem}); machine label: unknown machine")
    return records.default_machine_label(report)


@dataclass
class RunOptions:
    devices: Sequence[str]
    output: Path
    notebook: Path | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    kernel_name: str | None = None
    machine_label: str | None = None
    timeout: int | None = None
    history: int = records.DEFAULT_HISTORY
    cwd: Path | None = None


@dataclass
class RunSummary:
    """What a run did; filled in as it goes (pass one to run() to see it after an interrupt)."""

    records: list[dict[str, Any]] = field(default_factory=list)  # every record made, in order
    output: Path | None = None
    runs_kept: int = 0  # runs in the output as last written
    cancelled: bool = False
    written: int = 0  # how many of `records` the output holds (the first ones)
    write_error: str | None = None  # why the output could not be written; the run stopped
    started: int = 0  # devices started

    @property
    def unwritten(self) -> list[dict[str, Any]]:
        """The records the output does not hold (only after a failed write)."""
        return self.records[self.written :]

    @property
    def exit_code(self) -> int:
        if self.write_error is not None:
            return EXIT_NOT_WRITTEN
        if self.cancelled:
            return EXIT_CANCELLED
        if any(record["status"] != "ok" for record in self.records):
            return EXIT_FAILED
        return EXIT_OK


@dataclass
class _Plan:
    notebook: nbformat.NotebookNode
    devices: list[str]
    params: dict[str, Any]
    profile: str
    kernel_name: str
    machine_label: str | None  # None: the probe's default, found by run()
    metadata: dict[str, Any]
    output: Path
    timeout: int | None
    history: int
    cwd: Path


def plan(options: RunOptions) -> _Plan:
    """Check everything the user gave; raise RunnerError (nothing written) on any problem."""
    try:
        devices = [records.validate_device(device) for device in options.devices]
    except records.InvalidDeviceError as exc:
        raise RunnerError(str(exc)) from exc
    if not devices:
        raise RunnerError("give at least one device")
    if not isinstance(options.history, int) or options.history < 1:
        raise RunnerError("--history must be a positive number of runs")
    if options.timeout is not None and options.timeout < 1:
        raise RunnerError("--timeout must be a positive number of seconds")
    nb = load_notebook(options.notebook)
    params = check_params(nb, options.params)
    default_profile = parameter_defaults(nb).get("profile")
    profile = params.get("profile", default_profile)
    profile = profile if isinstance(profile, str) and profile else "unknown"

    output = Path(options.output)
    if output.is_dir() or not output.parent.is_dir():
        raise RunnerError(f"cannot write the output notebook {output}: no such folder or a folder")
    check_writable(output)
    source_name = "the input notebook" if options.notebook else "the bundled notebook"
    try:
        metadata = records.check_metadata(nb.metadata.get(records.METADATA_KEY), source_name)
        if output.exists():
            existing = load_notebook(output)
            metadata = records.check_metadata(
                existing.metadata.get(records.METADATA_KEY), "the existing output notebook"
            )
    except records.MalformedMetadataError as exc:
        raise RunnerError(str(exc)) from exc

    kernel_name = options.kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    check_kernel(kernel_name)
    if options.machine_label is not None:
        try:
            label = records.check_machine_label(options.machine_label)
        except ValueError as exc:
            raise RunnerError(str(exc)) from exc
    else:
        label = None
    return _Plan(
        notebook=nb,
        devices=devices,
        params=params,
        profile=profile,
        kernel_name=kernel_name,
        machine_label=label,
        metadata=metadata,
        output=output,
        timeout=options.timeout,
        history=options.history,
        cwd=Path(options.cwd or os.getcwd()),
    )


def _failure_text(exc: BaseException, where: str, timeout: int | None) -> str:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(exc, CellExecutionError):
        return f"{exc.ename}: {exc.evalue} ({where})"
    if isinstance(exc, DeadKernelError):
        return (
            f"DeadKernelError: the kernel died during {where} (out of memory, a crash in "
            "native code such as a GPU driver, or killed)"
        )
    if isinstance(exc, CellTimeoutError):
        return f"CellTimeoutError: {where} ran longer than the {timeout} s cell timeout"
    return f"{type(exc).__name__}: {exc} ({where})"


def run_device(
    p: _Plan, device: str, words: Sequence[str]
) -> tuple[nbformat.NotebookNode, dict[str, Any], bool]:
    """Run one device; return (executed notebook, record, cancelled).

    Only the kernel run is interruptible: a Ctrl-C while the record is being built is held
    back, the record made as the run ended, and `cancelled` set so that the run stops.
    """
    from . import notebook_timing  # it imports this module

    nb = prepare_notebook(p.notebook, device, p.params)
    started_at = records.utc_now()
    state: dict[str, Any] = {"cell": None}
    failure: str | None = None
    cancelled = False
    # Every code cell timed on the kernel's clock as time-notebook times a user's notebook
    # (celltiming.py's hooks, the take riding on each cell's own request): the breakdown and
    # peak memory. train_seconds is still the notebook's own clock inside its training cell.
    timing = notebook_timing.whole_notebook_run(nb, device)
    try:
        execute_notebook(
            nb,
            p.kernel_name,
            p.timeout,
            p.cwd,
            state,
            setup=lambda client: notebook_timing.hook(client, timing),
        )
    except KeyboardInterrupt:
        cancelled = True
        failure = (
            f"cancelled: interrupted (Ctrl-C or SIGTERM) during {cell_label(nb, state['cell'])}"
        )
    except Exception as exc:
        failure = _failure_text(exc, cell_label(nb, state["cell"]), p.timeout)
    with deferred_interrupt(raise_after=False) as pending:
        finished_at = records.utc_now()
        record = _make_record(p, nb, device, words, failure, cancelled, started_at, finished_at)
        found = notebook_timing.breakdown(timing, words)
        if found is not None:
            record = records.with_breakdown(record, *found)
    return nb, record, cancelled or bool(pending)


def _make_record(
    p: _Plan,
    nb: nbformat.NotebookNode,
    device: str,
    words: Sequence[str],
    failure: str | None,
    cancelled: bool,
    started_at: str,
    finished_at: str,
) -> dict[str, Any]:
    """The record of a device's run; labels the executed notebook's device cell."""
    label = p.machine_label or "unknown machine"
    record = None
    if failure is None:
        result = result_document(nb)
        if result is None:
            failure = (
                f"the notebook ran to the end but its last code cell displayed no {RESULT_MIME} "
                "result"
            )
        else:
            try:
                record = records.record_from_result(
                    result,
                    params=p.params,
                    machine_label=label,
                    started_at=started_at,
                    finished_at=finished_at,
                )
            except records.InvalidRecordError as exc:
                failure = f"the notebook's result does not make a valid run record: {exc}"
    name = None
    if record is None:
        resolved, name = resolved_device(nb)
        if resolved is None and device == "auto":
            resolved = "cpu"
            failure = f"{failure} [device auto was not resolved before this; recorded as cpu]"
        record = records.record_from_error(
            "cancelled" if cancelled else "failed",
            failure or "failed",
            device=resolved or device,
            device_name=name,
            profile=p.profile,
            params=p.params,
            machine_label=label,
            started_at=started_at,
            finished_at=finished_at,
            private_words=words,
        )
    else:
        name = record["device_name"]
    if device != "auto" and name:
        # The picker's comment names the device; the name is known only now.
        nb.cells[tagged(nb, DEVICE_TAG)[0]].source = records.device_cell_source(device, name)
    return record


def describe(record: Mapping[str, Any], seconds: float) -> str:
    """One line for a finished device."""
    head = f"{record['device']}: {record['status']} in {seconds:.1f} s"
    if record["status"] == "ok":
        slowest = records.slowest_cell(record)
        peak = records.peak_figure(record.get("peak_memory"))
        extra = ""
        if slowest is not None:
            extra += f"; slowest {slowest['label']}: {100 * slowest['share']:.0f} % of the cells"
        if peak is not None:
            extra += f"; peak memory {peak['bytes'] / 2**20:,.1f} MiB"
        return (
            f"{head} (train {record['train_seconds']:.2f} s, "
            f"{record['samples_per_second']:,.0f} samples/s, "
            f"accuracy {100 * record['accuracy']:.2f} %{extra})"
        )
    return f"{head}: {record['error']}"


def run(
    options: RunOptions,
    report: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
    summary: RunSummary | None = None,
) -> RunSummary:
    """Run every device in turn and write the output notebook after each one.

    `report` gets one line per finished device, `progress` one line as each device starts.
    Raises RunnerError before anything runs when an input is refused. Once a device has
    started, a Ctrl-C (or SIGTERM) stops the run and the summary is returned (`cancelled`);
    building, appending and writing a record is never cut short by one. A failed write stops
    the run too (`write_error`; the records stay in `records`, `unwritten` those the output
    lacks). `summary`, when given, is the object filled in and returned, so that a caller
    knows what was written even if an interrupt escapes.
    """
    summary = summary if summary is not None else RunSummary()
    p = plan(options)
    summary.output = p.output
    if p.machine_label is None:
        if progress is not None:
            progress(f"probing a {p.kernel_name} kernel for the machine label")
        p.machine_label = detect_machine_label(p.kernel_name, p.cwd, progress)
    label = p.machine_label
    words = private_words()
    metadata = p.metadata
    total = len(p.devices)
    try:
        for number, device in enumerate(p.devices, start=1):
            start = time.perf_counter()
            started_at = records.utc_now()
            summary.started = number
            try:
                if progress is not None:
                    progress(f"[{number}/{total}] {device}: starting (kernel {p.kernel_name})")
                nb, record, cancelled = run_device(p, device, words)
            except KeyboardInterrupt:  # outside the kernel run (starting, preparing)
                cancelled = True
                with deferred_interrupt(raise_after=False):
                    nb = prepare_notebook(p.notebook, device, p.params)
                    record = records.record_from_error(
                        "cancelled",
                        "cancelled: interrupted (Ctrl-C or SIGTERM)",
                        device=device if device != "auto" else "cpu",
                        profile=p.profile,
                        params=p.params,
                        machine_label=label,
                        started_at=started_at,
                        finished_at=records.utc_now(),
                    )
            with deferred_interrupt(raise_after=False) as pending:
                metadata = records.append_run(metadata, record, p.history, device=device)
                nb.metadata[records.METADATA_KEY] = metadata
                summary.records.append(record)
                try:
                    write_notebook(nb, p.output)
                except OSError as exc:
                    summary.write_error = f"{type(exc).__name__}: {exc}"
                else:
                    summary.written = len(summary.records)
                    summary.runs_kept = len(metadata.get("runs", []))
            summary.cancelled = cancelled = cancelled or bool(pending)
            report(f"[{number}/{total}] " + describe(record, time.perf_counter() - start))
            if cancelled or summary.write_error is not None:
                break
    except KeyboardInterrupt:  # reporting a finished device, or between devices
        summary.cancelled = True
    return summary
