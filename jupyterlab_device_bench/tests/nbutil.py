"""Helpers to run the bundled benchmark notebook headless (used by the tests and bench/ scripts).

This module imports nothing from the package, so it can also be loaded by file path
(``importlib.util.spec_from_file_location``) from the bench scripts.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO_ROOT / "notebooks" / "mnist_bench.ipynb"
SCHEMA = REPO_ROOT / "jupyterlab_device_bench" / "schemas" / "result.schema.json"
# CI clones the repository with the read-only `shared` folder beside it.
SHARED_MNIST = REPO_ROOT.parent / "shared" / "data" / "mnist"

RESULT_MIME = "application/vnd.device-bench.result+json"
PROGRESS_MIME = "application/vnd.device-bench.progress+json"
DEVICE_TAG = "device-bench-device"
KERNEL_NAME = "device-bench-test"


def load_notebook(path: Path = NOTEBOOK) -> nbformat.NotebookNode:
    return nbformat.read(os.fspath(path), as_version=4)


def cell_index(nb: nbformat.NotebookNode, tag: str) -> int:
    """Index of the only cell carrying `tag` (cells are found by tag, never by position)."""
    found = [
        i for i, cell in enumerate(nb.cells) if tag in cell.get("metadata", {}).get("tags", [])
    ]
    if len(found) != 1:
        raise LookupError(f"expected one cell tagged {tag!r}, found {len(found)}")
    return found[0]


def cell_by_tag(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    return nb.cells[cell_index(nb, tag)]


def inject_parameters(nb: nbformat.NotebookNode, **params) -> nbformat.NotebookNode:
    """A copy of `nb` with a papermill-style `injected-parameters` cell after `parameters`."""
    nb = copy.deepcopy(nb)
    lines = ["# Parameters"] + [f"{name} = {value!r}" for name, value in params.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(cell_index(nb, "parameters") + 1, cell)
    return nb


def set_device(nb: nbformat.NotebookNode, device: str | None) -> nbformat.NotebookNode:
    """A copy of `nb` whose device cell picks `device` (as the extension's picker does)."""
    nb = copy.deepcopy(nb)
    if device:
        cell = cell_by_tag(nb, DEVICE_TAG)
        cell.source = (
            f"# Device chosen with jupyterlab-device-bench: {device}\n"
            f"import torch\n\ndevice = torch.device({device!r})"
        )
    return nb


def notebook_script(nb: nbformat.NotebookNode) -> str:
    """The notebook's code cells concatenated into one Python script."""
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    return "\n\n\n".join(cells) + "\n"


def write_kernelspec(jupyter_dir: Path, name: str = KERNEL_NAME) -> str:
    """A kernelspec under `jupyter_dir`/kernels that runs ipykernel with this very Python."""
    spec_dir = Path(jupyter_dir) / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"device-bench ({name})",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return name


def isolated_jupyter_env(base: Path) -> dict[str, str]:
    """Environment variables that keep Jupyter's files (kernelspecs, runtime) under `base`."""
    base = Path(base)
    for sub in ("jupyter", "runtime", "ipython", "config", "data"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    write_kernelspec(base / "jupyter")
    return {
        "JUPYTER_PATH": os.fspath(base / "jupyter"),
        "JUPYTER_RUNTIME_DIR": os.fspath(base / "runtime"),
        "JUPYTER_CONFIG_DIR": os.fspath(base / "config"),
        "JUPYTER_DATA_DIR": os.fspath(base / "data"),
        "IPYTHONDIR": os.fspath(base / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def execute(
    nb: nbformat.NotebookNode, cwd: Path, timeout: int = 600, messages: list | None = None
) -> nbformat.NotebookNode:
    """Run `nb` with nbclient in the KERNEL_NAME kernel (see isolated_jupyter_env).

    `messages`, when given, receives every IOPub message of the run as it arrives (the
    executed notebook keeps only the last state of a display updated in place).
    """
    from nbclient import NotebookClient

    class Client(NotebookClient):
        def process_message(self, msg, cell, cell_index):
            if messages is not None:
                messages.append(msg)
            return super().process_message(msg, cell, cell_index)

    nb = copy.deepcopy(nb)
    client = Client(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": os.fspath(cwd)}},
    )
    client.execute()
    return nb


def outputs_with(nb: nbformat.NotebookNode, mime: str) -> list:
    """All outputs (of any cell) that carry `mime`."""
    return [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if mime in output.get("data", {})
    ]


def result_bundle(nb: nbformat.NotebookNode) -> dict:
    """The data of the result display in the last code cell."""
    last = [cell for cell in nb.cells if cell.cell_type == "code"][-1]
    bundles = [o["data"] for o in last.get("outputs", []) if RESULT_MIME in o.get("data", {})]
    if len(bundles) != 1:
        raise LookupError(
            f"expected one result display in the last code cell, found {len(bundles)}"
        )
    return bundles[0]


def run_as_script(
    nb: nbformat.NotebookNode, cwd: Path, threads: int | None = None, timeout: int = 3600
) -> dict:
    """Run the notebook's code as a plain script in a fresh `python` process; return the result.

    The script runs under runpy with run_name "__main__"; `threads`, when given, is applied with
    torch.set_num_threads before the first cell (the notebook itself never changes it).
    """
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "mnist_bench.py"
        script.write_text(notebook_script(nb), encoding="utf-8")
        out = Path(tmp) / "result.json"
        runner = (
            "import json, runpy, sys\n"
            "threads = int(sys.argv[3])\n"
            "if threads:\n"
            "    import torch\n"
            "    torch.set_num_threads(threads)\n"
            "ns = runpy.run_path(sys.argv[1], run_name='__main__')\n"
            "with open(sys.argv[2], 'w') as f:\n"
            "    json.dump(ns['device_bench_result'], f)\n"
        )
        subprocess.run(
            [sys.executable, "-c", runner, os.fspath(script), os.fspath(out), str(threads or 0)],
            cwd=os.fspath(cwd),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=timeout,
        )
        return json.loads(out.read_text(encoding="utf-8"))
