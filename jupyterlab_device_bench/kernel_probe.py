"""The device probe in a fresh kernel, for the headless runner: the probe expression exactly
as the extension builds it (src/kernel/service.ts), its base64 answer decoded and checked as
``decodeProbeResult`` checks it, and the host and user names scrubbed from error messages.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import importlib.resources
import json
import re
import socket
from pathlib import Path
from typing import Any

import nbformat

from . import contract
from .benchmark_notebook import RunnerError
from .execution import execute_notebook

#: Seconds the probe cell may run in its kernel (the extension's default probe timeout).
PROBE_TIMEOUT = 60


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


def probe_expression(source: str, *args: str) -> str:
    """The probe expression exactly as the extension builds it (src/kernel/service.ts), from
    the contract's template: `source` (and the doctor's `args`) as JSON string literals."""
    probe = contract.CONTRACT["probe"]
    literals = [json.dumps(text, ensure_ascii=False) for text in args]
    return contract.fill(
        probe["expression"],
        {
            "source": json.dumps(source, ensure_ascii=False),
            "args": probe["args_separator"].join(literals),
        },
    )


def decode_probe(text: str) -> dict[str, Any]:
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
    text = contract.kernel_source(source.read_text("utf-8"))
    cell = nbformat.v4.new_code_cell(f"print({probe_expression(text)})")
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
        return decode_probe(printed), None
    except ValueError as exc:
        return None, str(exc)


def check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel as exc:
        raise RunnerError(
            f"no Jupyter kernel named {name!r} (see `jupyter kernelspec list`; pass --kernel)"
        ) from exc
