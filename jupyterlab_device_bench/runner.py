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
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import base64
import binascii
import contextlib
import copy
import getpass
import importlib.resources
import json
import os
import re
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat

from . import contract, records

RESULT_MIME = contract.MIME["result"]
PARAMETERS_TAG = contract.TAGS["parameters"]
INJECTED_TAG = contract.TAGS["injected_parameters"]
DEVICE_TAG = contract.TAGS["device"]
MACHINE_TAG = contract.TAGS["machine"]
RESULT_TAG = contract.TAGS["result"]
BUNDLED = "notebooks/mnist_bench.ipynb"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_WRITTEN, EXIT_CANCELLED = 0, 1, 2, 3, 130
#: Seconds the probe cell may run in its kernel (the extension's default probe timeout).
PROBE_TIMEOUT = 60

# What the notebook's machine cell prints: "device: cuda:0 (NVIDIA H100), torch 2.13.0".
_DEVICE_LINE = re.compile(r"^device: (\S+) \((.*)\), torch \S+$", re.MULTILINE)


class RunnerError(Exception):
    """Something refused before any kernel started; nothing was written."""


# --------------------------------------------------------------------------- the notebook


def bundled_notebook_text() -> str:
    """The bundled benchmark notebook: inside an installed wheel, or from a source checkout."""
    try:
        resource = importlib.resources.files("jupyterlab_device_bench").joinpath(BUNDLED)
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):  # pragma: no cover
        pass
    checkout = Path(__file__).resolve().parents[1] / BUNDLED
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    raise RunnerError(
        "the bundled benchmark notebook is missing from this installation; pass --notebook"
    )


def load_notebook(path: Path | None) -> nbformat.NotebookNode:
    try:
        if path is None:
            return nbformat.reads(bundled_notebook_text(), as_version=4)
        return nbformat.read(os.fspath(path), as_version=4)
    except RunnerError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: not JSON / not a notebook
        raise RunnerError(f"cannot read the notebook {path}: {exc}") from exc


def _tags(cell: Mapping[str, Any]) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def tagged(nb: nbformat.NotebookNode, tag: str) -> list[int]:
    """Indexes of the cells carrying `tag`."""
    return [index for index, cell in enumerate(nb.cells) if tag in _tags(cell)]


def parameter_defaults(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """{name: default} of every assignment in the ``parameters`` cell (the allowlist).

    A default that is not a literal is given as None; only the names matter for the allowlist.
    """
    found = tagged(nb, PARAMETERS_TAG)
    if len(found) != 1:
        raise RunnerError(
            f"the notebook must have exactly one cell tagged {PARAMETERS_TAG!r} "
            f"(it has {len(found)})"
        )
    cell = nb.cells[found[0]]
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise RunnerError(f"the parameters cell is not valid Python: {exc.msg}") from exc
    defaults: dict[str, Any] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            for name in names:
                if isinstance(name, ast.Name):
                    try:
                        defaults[name.id] = ast.literal_eval(node.value)
                    except ValueError:
                        defaults[name.id] = None
    return defaults


def parse_param_value(text: str) -> Any:
    """A command-line value: a JSON literal when it parses (``1``, ``0.02``, ``true``, ``null``,
    ``"text"``), Python's ``True`` / ``False`` / ``None`` too, otherwise the string itself."""
    python_names = {"True": True, "False": False, "None": None}
    if text in python_names:
        return python_names[text]
    try:
        return json.loads(text)
    except ValueError:
        return text


def check_params(nb: nbformat.NotebookNode, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters, refused unless every name is a parameter of the notebook and every value
    a JSON scalar (str, int, finite float, bool, None)."""
    allowed = parameter_defaults(nb)
    checked = {}
    for name, value in params.items():
        if not isinstance(name, str) or name not in allowed:
            known = ", ".join(sorted(allowed))
            raise RunnerError(
                f"unknown parameter {str(name)[:40]!r}: the notebook's parameters are {known}"
            )
        if not records.is_json_scalar(value):
            raise RunnerError(
                f"parameter {name!r} must be a string, number, true/false or null, "
                f"not {type(value).__name__} ({str(value)[:40]})"
            )
        checked[name] = value
    return checked


def _new_code_cell(nb: nbformat.NotebookNode, source: str, tag: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [tag]
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        cell.pop("id", None)  # cell ids exist from nbformat 4.5 on
    return cell


def injected_parameters_source(params: Mapping[str, Any]) -> str:
    """The injected-parameters cell, as the extension writes it (the contract's template);
    values are validated scalars."""
    try:
        return records.parameters_cell_source(params)
    except ValueError as exc:
        raise RunnerError(str(exc)) from exc


def prepare_notebook(
    nb: nbformat.NotebookNode, device: str, params: Mapping[str, Any], label: str = ""
) -> nbformat.NotebookNode:
    """A copy of `nb` to run on `device`: outputs cleared, papermill-style parameters injected
    after the ``parameters`` cell (replacing any earlier injection), the device cell set."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    for index in reversed(tagged(nb, INJECTED_TAG)):
        del nb.cells[index]
    parameters = tagged(nb, PARAMETERS_TAG)[0]
    if params:
        cell = _new_code_cell(nb, injected_parameters_source(params), INJECTED_TAG)
        nb.cells.insert(parameters + 1, cell)
    source = records.device_cell_source(device, label)
    found = tagged(nb, DEVICE_TAG)
    if found:
        nb.cells[found[0]].source = source
    else:
        after = max([parameters, *tagged(nb, INJECTED_TAG)])
        nb.cells.insert(after + 1, _new_code_cell(nb, source, DEVICE_TAG))
    return nb


def result_document(nb: nbformat.NotebookNode) -> dict[str, Any] | None:
    """The result the result cell displayed (the cell tagged as the contract's result tag, as
    the JupyterLab driver finds it; the last code cell in a notebook without that tag), or
    None."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if not code:
        return None
    tagged_result = [nb.cells[i] for i in tagged(nb, RESULT_TAG) if nb.cells[i] in code]
    cell = tagged_result[0] if tagged_result else code[-1]
    found = [
        output["data"][RESULT_MIME]
        for output in cell.get("outputs", [])
        if RESULT_MIME in output.get("data", {})
    ]
    return dict(found[-1]) if found and isinstance(found[-1], Mapping) else None


def resolved_device(nb: nbformat.NotebookNode) -> tuple[str | None, str | None]:
    """(device, device name) as the machine cell printed them, or (None, None)."""
    machine = tagged(nb, MACHINE_TAG)
    cells = [nb.cells[i] for i in machine] if machine else nb.cells
    for cell in cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                match = _DEVICE_LINE.search(output.get("text", ""))
                if match and records.RECORD_DEVICE_PATTERN.match(match.group(1)):
                    return match.group(1), match.group(2) or None
    return None, None


def cell_label(nb: nbformat.NotebookNode, index: int | None) -> str:
    if index is None or not 0 <= index < len(nb.cells):
        return "kernel start-up"
    tags = _tags(nb.cells[index])
    return f"cell {tags[0]}" if tags else f"cell {index + 1}"


# --------------------------------------------------------------------------- machine facts


def private_words() -> list[str]:
    """Host and user names, scrubbed from error messages."""
    words = []
    for get in (socket.gethostname, getpass.getuser, lambda: Path.home().name):
        try:
            value = get()
        except Exception:
            continue
        if value:
            words += [value, value.split(".")[0]]
    return words


def probe_expression(source: str) -> str:
    """The probe expression exactly as the extension builds it (src/kernel/service.ts)."""
    return (
        "(lambda g: (__import__('builtins').exec("
        + repr(source)
        + ", g), g['device_bench_probe_b64']())[1])({'__name__': '__device_bench_probe__'})"
    )


def _decode_probe(text: str) -> dict[str, Any]:
    """The probe document from the base64 line the probe cell printed, checked as
    ``decodeProbeResult`` (src/kernel/service.ts) checks it; ValueError otherwise."""
    from . import probe

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not re.fullmatch(r"[A-Za-z0-9+/=]+", lines[-1]):
        raise ValueError("the kernel answered the probe with an unexpected value")
    try:
        report = json.loads(base64.b64decode(lines[-1], validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("the kernel answered the probe with an unexpected value") from exc
    if (
        not isinstance(report, dict)
        or report.get("schema_version") != probe.SCHEMA_VERSION
        or not isinstance(report.get("devices"), list)
        or not isinstance(report.get("diagnostics"), list)
        or not isinstance(report.get("torch"), dict)
    ):
        raise ValueError("the kernel answered the probe with an unexpected document")
    return report


def probe_kernel(kernel_name: str, cwd: Path) -> tuple[dict[str, Any] | None, str | None]:
    """Run the device probe (probe.py) in a fresh kernel of `kernel_name`, as the extension
    probes the notebook's kernel: (probe document, None), or (None, why not).

    The kernel is shut down afterwards; a KeyboardInterrupt is passed on.
    """
    source = importlib.resources.files("jupyterlab_device_bench").joinpath("probe.py")
    cell = nbformat.v4.new_code_cell(f"print({probe_expression(source.read_text('utf-8'))})")
    nb = nbformat.v4.new_notebook(cells=[cell])
    state: dict[str, Any] = {"cell": None}
    try:
        execute_notebook(nb, kernel_name, PROBE_TIMEOUT, cwd, state)
    except Exception as exc:
        return None, f"{type(exc).__name__}: {str(exc).strip()[:300]}"
    printed = "".join(
        output.get("text", "")
        for output in nb.cells[0].get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )
    try:
        return _decode_probe(printed), None
    except ValueError as exc:
        return None, str(exc)


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


def check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel as exc:
        raise RunnerError(
            f"no Jupyter kernel named {name!r} (see `jupyter kernelspec list`; pass --kernel)"
        ) from exc


# --------------------------------------------------------------------------- execution


class _Execution(threading.Thread):
    """nbclient in its own thread and event loop, so that Ctrl-C reaches the runner as a
    KeyboardInterrupt (nbclient's own SIGINT handler only works in the main thread, where it
    would kill the kernel and let execution carry on) and the kernel is shut down cleanly."""

    def __init__(self, client: Any) -> None:
        super().__init__(name="device-bench-nbclient", daemon=True)
        self.client = client
        self.error: BaseException | None = None
        self.current: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        # Waited on instead of Thread.join: a KeyboardInterrupt that lands inside join() marks
        # a still running thread as stopped (CPython gh-90882), and later joins return at once.
        self.done = threading.Event()
        client.on_cell_start = self._on_cell_start

    def _on_cell_start(self, cell: Any, cell_index: int) -> None:
        self.current = cell_index

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._started.set()
        try:
            await self.client.async_execute()
        except BaseException:
            # Cancelled while the kernel was starting, nbclient's own clean-up does not run yet.
            if getattr(self.client, "km", None) is not None:
                atexit.unregister(self.client._cleanup_kernel)
                with contextlib.suppress(Exception):
                    await self.client._async_cleanup_kernel()
            raise

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to the main thread
            self.error = exc
        finally:
            self._started.set()
            self.done.set()

    def cancel(self) -> None:
        self.client.shutdown_kernel = "immediate"
        self._started.wait(10)
        if self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                self._loop.call_soon_threadsafe(self._task.cancel)


def execute_notebook(
    nb: nbformat.NotebookNode,
    kernel_name: str,
    timeout: int | None,
    cwd: Path,
    state: dict[str, Any],
) -> None:
    """Run `nb` in place in a fresh kernel. Raises what nbclient raises, or KeyboardInterrupt.

    `state["cell"]` tells which cell was running when it stopped.
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        resources={"metadata": {"path": os.fspath(cwd)}},
    )
    worker = _Execution(client)
    worker.start()
    try:
        while not worker.done.wait(0.2):
            pass
    except KeyboardInterrupt:
        worker.cancel()
        with contextlib.suppress(KeyboardInterrupt):
            worker.done.wait(30)
        raise
    finally:
        state["cell"] = worker.current
    if worker.error is not None:
        raise worker.error


_DEFERRING: list[list[bool]] = []  # the pending lists of the active deferrals, outermost first


@contextlib.contextmanager
def _deferred_interrupt(raise_after: bool = True) -> Iterator[list[bool]]:
    """Hold Ctrl-C (and SIGTERM) back while a notebook or a record is made and written.

    The yielded list is non-empty once an interrupt came in. It is raised as KeyboardInterrupt
    afterwards, unless `raise_after` is false (the caller reads the list). Nested inside
    another deferral, it leaves the interrupt to the outer one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    if _DEFERRING:
        yield _DEFERRING[-1]
        return
    pending: list[bool] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: pending.append(True))
    _DEFERRING.append(pending)
    try:
        yield pending
    finally:
        _DEFERRING.pop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if pending and raise_after:
        raise KeyboardInterrupt


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write `nb` to `path` atomically (a temporary file beside it, then a rename).

    Raises OSError when it cannot (read-only or vanished folder, disk full); `path` is then
    as it was.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with _deferred_interrupt():
            nbformat.write(nb, os.fspath(tmp))
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):  # gone, or never made (the folder went away)
            tmp.unlink()


# --------------------------------------------------------------------------- the runner


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


def check_writable(output: Path) -> None:
    """Refuse (RunnerError) unless a file can be created beside `output`: the atomic write
    puts a temporary file there. The test file is removed at once."""
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".check", dir=output.parent
        )
    except OSError as exc:
        raise RunnerError(
            f"cannot write the output notebook {output}: its folder is not writable "
            f"({exc.strerror or exc})"
        ) from exc
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)


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
    nb = prepare_notebook(p.notebook, device, p.params)
    started_at = records.utc_now()
    state: dict[str, Any] = {"cell": None}
    failure: str | None = None
    cancelled = False
    try:
        execute_notebook(nb, p.kernel_name, p.timeout, p.cwd, state)
    except KeyboardInterrupt:
        cancelled = True
        failure = (
            f"cancelled: interrupted (Ctrl-C or SIGTERM) during {cell_label(nb, state['cell'])}"
        )
    except Exception as exc:
        failure = _failure_text(exc, cell_label(nb, state["cell"]), p.timeout)
    with _deferred_interrupt(raise_after=False) as pending:
        finished_at = records.utc_now()
        record = _make_record(p, nb, device, words, failure, cancelled, started_at, finished_at)
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
        return (
            f"{head} (train {record['train_seconds']:.2f} s, "
            f"{record['samples_per_second']:,.0f} samples/s, "
            f"accuracy {100 * record['accuracy']:.2f} %)"
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
                with _deferred_interrupt(raise_after=False):
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
            with _deferred_interrupt(raise_after=False) as pending:
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


def summary_line(summary: RunSummary) -> str:
    counts = {status: 0 for status in ("ok", "failed", "cancelled")}
    for record in summary.records:
        counts[record["status"]] += 1
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n or status == "ok")
    kept = f"metadata.device_bench.runs: {summary.runs_kept} kept"
    if summary.write_error is not None:
        written = (
            f"{summary.output} holds the first {summary.written} ({kept})"
            if summary.written
            else f"{summary.output} was not written"
        )
        where = f"{written}; {len(summary.unwritten)} NOT written ({summary.write_error})"
    elif summary.records:
        where = f"wrote {summary.output} ({kept})"
    else:
        where = "nothing written"
    stopped = "; stopped early" if summary.cancelled or summary.write_error else ""
    return f"{len(summary.records)} run(s): {parts}{stopped}; {where}"


def params_from_cli(pairs: Sequence[str], profile: str | None = None) -> dict[str, Any]:
    """``NAME=VALUE`` strings (a later one wins) and ``--profile`` as one parameter dict."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise RunnerError(f"--param wants NAME=VALUE, not {pair[:40]!r}")
        params[name] = parse_param_value(text)
    if profile is not None:
        if "profile" in params and params["profile"] != profile:
            raise RunnerError("give the profile once: --profile or --param profile=...")
        params["profile"] = profile
    return params
