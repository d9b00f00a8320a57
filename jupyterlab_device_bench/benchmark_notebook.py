"""The benchmark notebook, headless: loading it, its parameters (the allowlist of names the
``parameters`` cell assigns, JSON-scalar values), preparing one copy per device (the
injected-parameters cell and the device cell, from the contract's templates) and reading what
an executed copy found (the result document, the resolved device).

Pure: no kernels, no files but the notebook read. Tags and the result MIME type come from the
contract (contract.json) that the JupyterLab extension uses too.
"""

from __future__ import annotations

import ast
import copy
import importlib.resources
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat

from . import contract, records

RESULT_MIME = contract.MIME["result"]
PARAMETERS_TAG = contract.TAGS["parameters"]
INJECTED_TAG = contract.TAGS["injected_parameters"]
DEVICE_TAG = contract.TAGS["device"]
MACHINE_TAG = contract.TAGS["machine"]
RESULT_TAG = contract.TAGS["result"]
BUNDLED = "notebooks/mnist_bench.ipynb"

# What the notebook's machine cell prints: "device: cuda:0 (NVIDIA H100), torch 2.13.0".
_DEVICE_LINE = re.compile(r"^device: (\S+) \((.*)\), torch \S+$", re.MULTILINE)


class RunnerError(Exception):
    """Something refused before any kernel started; nothing was written."""


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
