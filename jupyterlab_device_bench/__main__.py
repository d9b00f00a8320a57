"""``python -m jupyterlab_device_bench run ...``: the benchmark notebook, headless.

``python -m jupyterlab_device_bench time-notebook NOTEBOOK --device cpu --device cuda:0``:
which device suits a user's own notebook (notebook_timing.py, docs/own-notebook.md).

``python -m jupyterlab_device_bench records-from-notebook OUT.ipynb`` and ``merge-reports
SOURCE... --output merged.json``: run records from notebooks (a notebook plain papermill
executed too) and reports, without a browser (reports.py, docs/deployment.md).

``python -m jupyterlab_device_bench doctor [--json]``: the install doctor for this interpreter
(see docs/install-doctor.md); exit status 0 when nothing needs fixing, 1 otherwise. It imports
only the probe (and torch), so it costs about what ``python -c "import torch"`` does.

See docs/headless.md. Exit status: 0 every device ran, 1 a device failed, 2 the command was
refused (nothing ran, nothing was written), 3 the output could not be written (the run stopped;
the records not written are printed on standard error), 130 interrupted (Ctrl-C or SIGTERM; the
runs so far and a ``cancelled`` record for the current device are written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: `doctor` must not pay for nbclient and jsonschema
    from . import runner


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from . import records

    parser = argparse.ArgumentParser(
        prog="python -m jupyterlab_device_bench",
        description="jupyterlab-device-bench without a browser.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the benchmark notebook on one or more devices",
        description=(
            "Run the benchmark notebook once per device, each in a fresh kernel, and append one "
            "run record per device to metadata.device_bench.runs of the output notebook (written "
            "after every device). The output keeps the cells of the last device's run."
        ),
        epilog=(
            "example: python -m jupyterlab_device_bench run --devices cpu cuda:0 "
            "--profile quick --param split_from_test=true --param data_dir=data/mnist "
            "--output bench.ipynb"
        ),
    )
    run.add_argument(
        "--devices",
        nargs="+",
        required=True,
        metavar="DEVICE",
        help="auto, cpu, mps, cuda, cuda:N, xpu or xpu:N, in the order to run them",
    )
    run.add_argument("--profile", help="the notebook's profile parameter: seed, resident, quick")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=(
            "a parameter of the notebook's parameters cell; VALUE is read as JSON (1, 0.02, "
            'true, null, "text"; True/False/None too), otherwise as a string. Repeatable.'
        ),
    )
    run.add_argument(
        "--notebook", type=Path, help="the notebook to run (default: the bundled benchmark)"
    )
    run.add_argument(
        "--output", "-o", type=Path, required=True, help="the notebook to write (appended to)"
    )
    run.add_argument(
        "--kernel", help="the kernel to run it in (default: the notebook's kernelspec, python3)"
    )
    run.add_argument(
        "--machine-label",
        help="how reports name this machine (default: CPU and GPU model names)",
    )
    run.add_argument(
        "--timeout", type=_positive_int, help="seconds one cell may run (default: no limit)"
    )
    run.add_argument(
        "--history",
        type=_positive_int,
        default=records.DEFAULT_HISTORY,
        help=f"runs kept in the notebook, newest last (default: {records.DEFAULT_HISTORY})",
    )
    _add_doctor(commands)
    return parser


def _add_doctor(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    doctor = commands.add_parser(
        "doctor",
        help="say why an accelerator is missing here and print the commands that fix it",
        description=(
            "Probe this Python (torch, NVIDIA driver through NVML, macOS, installer) without "
            "creating a CUDA context and print the diagnosis with the exact fix commands."
        ),
    )
    doctor.add_argument("--json", action="store_true", help="print the probe document as JSON")
    return doctor


def _load_probe():
    import importlib.util

    path = Path(__file__).with_name("probe.py")
    spec = importlib.util.spec_from_file_location("jupyterlab_device_bench.probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doctor_lines(doc: dict) -> list[str]:
    """The doctor's report as text lines: backends, then each diagnosis with its fixes."""
    python = doc["python"]
    torch = doc["torch"]
    lines = [
        f"Python {python['version']} ({python['executable']}), {python['os']} {python['machine']}",
        f"torch {torch['version'] or 'not installed'}"
        + (f", installed by {doc['environment']['torch_installer']}" if torch["version"] else ""),
    ]
    if doc["cuda"]["driver_version"]:
        lines.append(
            f"NVIDIA driver {doc['cuda']['driver_version']} (CUDA up to "
            f"{doc['cuda']['driver_cuda_version']})"
        )
    lines.append("")
    for row in doc["backends"]:
        state = "usable" if row["usable"] else "not usable"
        lines.append(f"  {row['backend'].upper():5} {state:10} {row['reason']}")
    shells = ("powershell", "cmd") if python["os"] == "Windows" else ("posix",)
    for item in doc["diagnostics"]:
        lines += ["", f"[{item['severity']}] {item['message']}"]
        for fix in item["fixes"]:
            lines.append(("Fix: " if fix["primary"] else "Or:  ") + fix["title"])
            lines.append(f"     {fix['reason']}")
            lines += [f"     - {step}" for step in fix["steps"]]
            for command in fix["commands"]:
                if command["shell"] in shells:
                    label = f"({command['shell']})" if len(shells) > 1 else ""
                    for text in command["command"].splitlines():
                        lines.append(f"     {label} {text}".rstrip() if label else f"     {text}")
        if not item["fixes"] and item["fix"]:
            lines.append(f"Fix: {item['fix']}")
    if doc["facts"]["as_of"]:
        lines += ["", f"(install facts as of {doc['facts']['as_of']})"]
    return lines


def doctor_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyterlab_device_bench")
    _add_doctor(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    probe = _load_probe()
    doc = probe.device_bench_probe()
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False, default=str))
    else:
        print("\n".join(doctor_lines(doc)))
    needs_fix = any(item["severity"] == "error" for item in doc["diagnostics"])
    return 1 if needs_fix else 0


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A batch system's SIGTERM (time limit, scancel) stops the run like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print(line: str) -> None:
    print(line, flush=True)


def _print_err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _interrupted(summary: runner.RunSummary) -> str:
    """What an interrupt that stopped the command left behind, truthfully."""
    if summary.written:
        return (
            f"interrupted: {summary.written} run record(s) of this command were written to "
            f"{summary.output} (metadata.device_bench.runs: {summary.runs_kept} kept)"
        )
    if summary.started:
        return f"interrupted: nothing was written to {summary.output}"
    return "interrupted: no device was run and nothing was written"


def _not_written(summary: runner.RunSummary) -> list[str]:
    """The write failure on standard error, with the records it would have saved."""
    lines = [
        f"error: cannot write the output notebook {summary.output}: {summary.write_error}",
        f"the run stopped; {len(summary.unwritten)} run record(s) are NOT in the output. "
        "They follow, one JSON object per line:",
    ]
    lines += [json.dumps(record) for record in summary.unwritten]
    return lines


def summary_line(summary: runner.RunSummary) -> str:
    """The last line of `run`: what ran and what was written."""
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


def _records_parser(command: str) -> argparse.ArgumentParser:
    merging = command == "merge-reports"
    parser = argparse.ArgumentParser(
        prog=f"python -m jupyterlab_device_bench {command}",
        description=(
            "Merge the run records of notebooks (their metadata.device_bench runs; a notebook "
            "plain papermill executed gives its run), JSON reports and device_bench objects into "
            "one JSON report (report.schema.json). A run seen twice counts once; what cannot be "
            "read is listed in the report, never dropped silently. Figures and the other formats: "
            "open the report with the extension's Merge Timing Reports."
            if merging
            else "Print (or write) the run records of notebooks as one device_bench object "
            '({"schema_version": 1, "runs": [...]}), e.g. of a notebook plain papermill '
            "executed (papermill mnist_bench.ipynb out.ipynb -p profile quick), whose run is "
            'recorded with "source": "papermill". Exit status 0: every run ok; 1: a run failed; '
            "2: a notebook could not be read (nothing written)."
        ),
    )
    parser.add_argument("sources", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        required=merging,
        help="the JSON file to write" + ("" if merging else " (default: standard output)"),
    )
    parser.add_argument(
        "--machine-label",
        help="the machine label of papermill runs (default: the papermill parameter "
        "machine_label, else the result's CPU model)",
    )
    return parser


def records_main(command: str, argv: Sequence[str]) -> int:
    """``records-from-notebook`` and ``merge-reports`` (reports.py)."""
    from . import records, reports
    from .kernel_probe import private_words

    args = _records_parser(command).parse_args(argv)
    if args.machine_label is not None:
        try:
            records.check_machine_label(args.machine_label)
        except ValueError as exc:
            print(f"error: {exc}; nothing was written", file=sys.stderr)
            return 2
    words = private_words()
    sources = [reports.read_file(path, args.machine_label, words) for path in args.sources]
    for source in sources:
        for problem in source.problems:
            _print_err(f"{source.name}: {problem}")
    if command == "merge-reports":
        report = reports.merge(sources)
        if not report["runs"] and report["invalid"]:
            _print_err("error: no run could be read; nothing was written")
            return 2
        out = report
        summary = (
            f"{len(report['runs'])} run(s) from {len(sources)} source(s), "
            f"{len(report['invalid'])} left out"
        )
    else:
        unreadable = [s.name for s in sources if s.invalid or not s.runs]
        if unreadable:
            names = ", ".join(unreadable)
            _print_err(f"error: no run records read from {names}; nothing was written")
            return 2
        runs = reports.merge(sources)["runs"]  # each run once
        out = {"schema_version": records.SCHEMA_VERSION, "runs": runs}
        summary = None
    try:
        if args.output is not None:
            reports.write_json(out, args.output)
        else:
            print(json.dumps(out, indent=1, ensure_ascii=False))
    except OSError as exc:
        _print_err(f"error: cannot write {args.output}: {type(exc).__name__}: {exc}")
        return 3
    runs = out["runs"]
    failed = [run for run in runs if run["status"] != "ok"]
    for run in failed:
        _print_err(f"{run['device']}: {run['status']}: {run['error']}")
    if summary is not None:
        _print_err(f"{summary}; wrote {args.output}")
    return 1 if failed and command != "merge-reports" else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["records-from-notebook"], ["merge-reports"]):
        return records_main(argv[0], argv[1:])
    if argv[:1] == ["doctor"]:
        return doctor_main(argv)
    if argv[:1] == ["time-notebook"]:  # docs/own-notebook.md
        from . import notebook_timing

        return notebook_timing.main(argv[1:])
    from . import runner

    args = build_parser().parse_args(argv)
    summary = runner.RunSummary(output=args.output)
    try:
        options = runner.RunOptions(
            devices=args.devices,
            output=args.output,
            notebook=args.notebook,
            params=runner.params_from_cli(args.param, args.profile),
            kernel_name=args.kernel,
            machine_label=args.machine_label,
            timeout=args.timeout,
            history=args.history,
        )
        with _sigterm_as_interrupt():
            runner.run(options, report=_print, progress=_print_err, summary=summary)
    except runner.RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was run and nothing was written", file=sys.stderr)
        return runner.EXIT_USAGE
    except KeyboardInterrupt:  # before the first device started, or escaping the run
        summary.cancelled = True
        for line in _not_written(summary) if summary.write_error is not None else []:
            _print_err(line)
        _print_err(_interrupted(summary))
        return summary.exit_code
    if summary.write_error is not None:
        for line in _not_written(summary):
            _print_err(line)
    _print(summary_line(summary))
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
