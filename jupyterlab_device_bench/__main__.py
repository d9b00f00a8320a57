"""``python -m jupyterlab_device_bench run ...``: the benchmark notebook, headless.

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

from . import records, runner


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
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
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
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
    _print(runner.summary_line(summary))
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
