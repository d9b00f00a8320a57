"""Tests of the bundled benchmark notebook (notebooks/mnist_bench.ipynb).

The notebook runs for real (nbclient, a kernel on this very Python, real torch) on the real
MNIST test split from `<repo>/../shared/data/mnist`, at small sizes. Nothing is downloaded.

At these sizes (a couple of hundred steps) the published learning rate of 0.001 barely leaves
LeNet's initial plateau, so the accuracy checks inject learning_rate=0.02; the profiles'
own default stays 0.001 (checked in test_profile_defaults).
"""

from __future__ import annotations

import ast
import getpass
import gzip
import importlib.util
import json
import os
import socket
from pathlib import Path

import jsonschema
import nbformat
import numpy as np
import pytest
import torch

_spec = importlib.util.spec_from_file_location("nbutil", Path(__file__).with_name("nbutil.py"))
nbutil = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbutil)

DATA = nbutil.SHARED_MNIST


needs_data = pytest.mark.usefixtures("mnist_data")  # conftest.py: fails without the data

DEVICE_CELL = """\
# Device chosen with jupyterlab-device-bench: auto (CUDA, then MPS, then CPU)
import torch

if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():
    device = torch.device("mps")
else:
    device = torch.device("cpu")"""

KNOBS = [
    "profile",
    "epochs",
    "batch_size",
    "learning_rate",
    "momentum",
    "num_workers",
    "data_dir",
    "dataset",
    "train_size",
    "test_size",
    "repeat_to",
    "download",
    "seed",
]

# Small real-data runs: 6,400 training images (100 steps per epoch) and 1,000 test images.
SMALL = {
    "data_dir": os.fspath(DATA),
    "split_from_test": True,
    "train_size": 6400,
    "test_size": 1000,
    "learning_rate": 0.02,
}
PROFILE_RUNS = {
    "seed": {**SMALL, "epochs": 2},
    "resident": {**SMALL, "epochs": 2},
    # quick keeps its single timed epoch: 200 steps, after 10 warm-up steps.
    "quick": {
        **SMALL,
        "train_size": 8000,
        "test_size": 2000,
        "repeat_to": 12800,
        "warmup_steps": 10,
    },
}


@pytest.fixture(scope="module")
def notebook():
    return nbutil.load_notebook()


@pytest.fixture(scope="module")
def schema():
    return json.loads(nbutil.SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def run(kernel_env, notebook, tmp_path_factory):
    """run(name, device=None, device_source=None, **params) -> the executed notebook.

    Each name runs once (cached); `device` / `device_source` rewrite the device cell.
    """
    cache = {}

    def _run(name, device=None, device_source=None, **params):
        if name not in cache:
            nb = nbutil.set_device(nbutil.inject_parameters(notebook, **params), device)
            if device_source is not None:
                nbutil.cell_by_tag(nb, nbutil.DEVICE_TAG).source = device_source
            messages = _run.messages[name] = []
            cache[name] = nbutil.execute(
                nb, tmp_path_factory.mktemp(name), timeout=300, messages=messages
            )
        return cache[name]

    _run.messages = {}  # name -> every IOPub message of that run
    return _run


def exec_cells(nb, *tags, namespace=None):
    namespace = {} if namespace is None else namespace
    for tag in tags:
        exec(compile(nbutil.cell_by_tag(nb, tag).source, tag, "exec"), namespace)
    return namespace


# --- the committed notebook ---------------------------------------------------------------


def test_committed_notebook_is_clean(notebook):
    nbformat.validate(notebook)
    assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5)
    assert notebook.metadata.kernelspec.name == "python3"
    assert len({cell.id for cell in notebook.cells}) == len(notebook.cells)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
            ast.parse(cell.source)
            assert not any(
                line.lstrip().startswith(("%", "!")) for line in cell.source.splitlines()
            )


def test_cell_order_and_tags(notebook):
    assert notebook.cells[0].cell_type == "markdown"
    intro = notebook.cells[0].source
    for figure in ("45.02", "75.65", "50.79", "109.61"):
        assert figure in intro
    order = [
        "parameters",
        "device-bench-device",
        "device-bench-profiles",
        "device-bench-settings",
        "device-bench-machine",
        "device-bench-data",
        "device-bench-download",
        "device-bench-transform",
        "device-bench-load",
        "device-bench-pipeline",
        "device-bench-model",
        "device-bench-progress",
        "device-bench-loop",
        "device-bench-train",
        "device-bench-eval",
        "device-bench-result",
    ]
    positions = [nbutil.cell_index(notebook, tag) for tag in order]
    assert positions == sorted(positions)
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    assert code[0] == positions[0] and code[1] == positions[1]  # nothing between them
    assert code[-1] == positions[-1]  # the result is the last code cell


def test_device_cell_is_exact(notebook):
    assert nbutil.cell_by_tag(notebook, "device-bench-device").source.strip() == DEVICE_CELL


def test_parameters_cell_is_plain_assignments(notebook):
    tree = ast.parse(nbutil.cell_by_tag(notebook, "parameters").source)
    values = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert set(KNOBS) <= set(values)
    assert values["profile"] == "seed" and values["dataset"] == "mnist"
    assert values["download"] is False and values["repeat_to"] is None
    for name in ("epochs", "batch_size", "learning_rate", "momentum", "num_workers"):
        assert values[name] is None, f"{name} should default to the profile's value"


def test_profile_defaults(notebook):
    def settings(**params):
        ns = exec_cells(notebook, "parameters")
        ns.update(params)
        exec_cells(notebook, "device-bench-profiles", "device-bench-settings", namespace=ns)
        return ns["settings"]

    seed = settings()
    assert seed["profile"] == "seed" and seed["pipeline"] == "dataloader"
    published = {"epochs": 10, "batch_size": 64, "learning_rate": 0.001, "momentum": 0.9}
    assert {k: seed[k] for k in published} == published
    assert seed["num_workers"] == 2 and seed["warmup_steps"] == 0
    assert (seed["train_size"], seed["test_size"]) == (60000, 10000)
    resident = settings(profile="resident")
    assert resident["pipeline"] == "resident" and resident["num_workers"] == 0
    assert {k: resident[k] for k in published} == published
    quick = settings(profile="quick")
    assert quick["epochs"] == 1 and quick["warmup_steps"] > 0 and quick["pipeline"] == "resident"
    split = settings(split_from_test=True)
    assert (split["train_size"], split["test_size"]) == (8000, 2000)
    injected = settings(epochs=3, learning_rate=0.05, data_dir="/some/where/mnist")
    assert injected["epochs"] == 3 and injected["learning_rate"] == 0.05
    assert injected["data_dir"] == "mnist"  # base name only
    with pytest.raises(ValueError, match="profile"):
        settings(profile="turbo")


# --- the built-in IDX reader --------------------------------------------------------------


def direct_decode(path, header):
    return np.frombuffer(gzip.decompress(Path(path).read_bytes()), dtype=np.uint8, offset=header)


@needs_data
def test_builtin_reader_matches_direct_decode(notebook, tmp_path):
    ns = exec_cells(notebook, "device-bench-data", "device-bench-transform")
    images, labels = ns["load_mnist"](os.fspath(DATA), ["test"])["test"]
    raw_images = direct_decode(DATA / "t10k-images-idx3-ubyte.gz", 16).reshape(10000, 28, 28)
    raw_labels = direct_decode(DATA / "t10k-labels-idx1-ubyte.gz", 8)
    assert images.dtype == torch.uint8 and images.shape == (10000, 28, 28)
    assert labels.dtype == torch.int64 and labels.shape == (10000,)
    assert torch.equal(images, torch.from_numpy(raw_images.copy()))
    assert torch.equal(labels, torch.from_numpy(raw_labels.astype(np.int64)))

    # Same arithmetic as ToTensor() + Normalize((0.5,), (0.5,)), per sample and in bulk.
    expected = (torch.from_numpy(raw_images.astype(np.float32)) / 255 - 0.5) / 0.5
    bulk = ns["to_tensor_normalized"](images)
    assert torch.equal(bulk, expected)
    dataset = ns["MnistTensors"](images, labels)
    for index in (0, 1234, 9999):
        image, label = dataset[index]
        assert image.shape == (1, 28, 28) and image.dtype == torch.float32
        assert torch.equal(image[0], expected[index]) and label == int(raw_labels[index])

    # Uncompressed files in torchvision's layout (data_dir/MNIST/raw) read the same.
    raw_dir = tmp_path / "MNIST" / "raw"
    raw_dir.mkdir(parents=True)
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw_dir / stem).write_bytes(gzip.decompress((DATA / f"{stem}.gz").read_bytes()))
    again, again_labels = ns["load_mnist"](os.fspath(tmp_path), ["test"])["test"]
    assert torch.equal(again, images) and torch.equal(again_labels, labels)

    # The header magic is checked.
    with pytest.raises(ValueError, match="magic 2049"):
        ns["read_idx"](DATA / "t10k-labels-idx1-ubyte.gz", ns["IDX_IMAGES_MAGIC"])


def test_reader_names_missing_files(notebook, tmp_path):
    ns = exec_cells(notebook, "device-bench-data")
    with pytest.raises(FileNotFoundError) as info:
        ns["load_mnist"](os.fspath(tmp_path), ["test"])
    message = str(info.value)
    assert os.fspath(tmp_path) in message and "download=True" in message
    assert "t10k-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "train-images" not in message


# --- the schema ---------------------------------------------------------------------------


def test_schema_is_valid_and_strict(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for field in ("device", "settings", "data", "train_seconds", "accuracy", "versions", "cpu"):
        assert field in schema["required"]


# --- real runs ----------------------------------------------------------------------------


def check_result(bundle, schema, profile):
    doc = bundle[nbutil.RESULT_MIME]
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["profile"] == doc["settings"]["profile"] == profile
    assert doc["model_parameters"] == 44426
    assert len(doc["epoch_seconds"]) == doc["settings"]["epochs"]
    assert doc["train_seconds"] == pytest.approx(sum(doc["epoch_seconds"]), rel=1e-3, abs=1e-3)
    assert isinstance(bundle["text/plain"], str) and profile in bundle["text/plain"]
    assert bundle["text/markdown"].startswith("| profile |")
    # Privacy: no absolute paths, host or user names in the document.
    text = json.dumps(doc)
    assert os.fspath(DATA) not in text and "/tmp" not in text and os.sep + "work" not in text
    host, user = socket.gethostname(), getpass.getuser()
    for name in (host, user):
        if len(name) > 4:
            assert name not in text
    return doc


def check_progress(nb, doc):
    outputs = nbutil.outputs_with(nb, nbutil.PROGRESS_MIME)
    assert len(outputs) == 1, "one progress display, updated in place"
    state = outputs[0]["data"][nbutil.PROGRESS_MIME]
    assert outputs[0]["data"]["text/plain"].startswith(f"epoch {state['epoch']}/")
    assert state["phase"] == "done" and state["step"] == state["steps"]
    assert state["epoch"] == state["epochs"] == doc["settings"]["epochs"]
    assert state["profile"] == doc["profile"] and state["device"] == doc["device"]


@needs_data
@pytest.mark.parametrize("profile", ["seed", "resident", "quick"])
def test_profile_run(run, schema, profile):
    # The quick run also stands for a rewritten device cell, as the extension's picker does.
    nb = run(
        profile,
        device="cpu" if profile == "quick" else None,
        profile=profile,
        **PROFILE_RUNS[profile],
    )
    doc = check_result(nbutil.result_bundle(nb), schema, profile)
    assert doc["device"] == "cpu" and doc["device_name"]
    assert doc["data"]["source"] == "mnist-test-split"
    assert doc["data"]["loader"] in ("builtin-idx", "torchvision")
    settings = doc["settings"]
    assert settings["learning_rate"] == 0.02 and settings["data_dir"] == "mnist"
    if profile == "seed":
        assert settings["num_workers"] == 2 and settings["pipeline"] == "dataloader"
    else:
        assert settings["num_workers"] == 0 and settings["pipeline"] == "resident"
    if profile == "quick":
        assert settings["epochs"] == 1 and settings["warmup_steps"] == 10
        assert doc["data"]["repeated"] and doc["data"]["repeat_to"] == 12800
        assert doc["data"]["train_samples"] == 8000
    # Loss falls and the network learned real digits.
    losses = [line["loss"] for line in doc["loss_log"]]
    assert len(losses) == 2 and losses[0] > losses[-1]
    if len(doc["epoch_losses"]) > 1:
        assert doc["epoch_losses"][0] > doc["epoch_losses"][-1]
    assert doc["accuracy"] > 0.5
    assert f"{100 * doc['accuracy']:.2f} %" in nbutil.result_bundle(nb)["text/plain"]
    # Past the plateau: the accuracy is worth reading, and the result says so.
    assert doc["final_loss"] < 2.0 and doc["accuracy_note"] is None
    assert doc["trained_steps"] == settings["epochs"] * doc["data"]["epoch_samples"] // 64
    check_progress(nb, doc)
    check_progress_pacing(run.messages[profile])


@needs_data
def test_a_run_too_short_to_judge_accuracy_says_so(run, schema):
    """The profiles' own learning rate and a short epoch end on LeNet's plateau (issue 16: the
    panel showed "Accuracy 27.5%" after a quick run): the result, its text and the run record
    say the accuracy cannot be judged; what is timed does not change."""
    from jupyterlab_device_bench import records

    nb = run(
        "too-short",
        profile="quick",
        data_dir=os.fspath(DATA),
        split_from_test=True,
        train_size=1024,
        test_size=200,
        warmup_steps=5,
    )
    bundle = nbutil.result_bundle(nb)
    doc = check_result(bundle, schema, "quick")
    assert doc["settings"]["learning_rate"] == 0.001 and doc["trained_steps"] == 16
    assert doc["final_loss"] > 2.0
    assert doc["accuracy_note"].startswith(
        "too short to judge accuracy: after 16 training steps the loss is 2.3"
    )
    assert f"({doc['accuracy_note']})" in bundle["text/plain"]
    assert bundle["text/markdown"].endswith(f"Accuracy: {doc['accuracy_note']}.")
    record = records.record_from_result(
        doc, params={}, machine_label="m", started_at="x", finished_at="y"
    )
    assert record["accuracy_note"] == doc["accuracy_note"]
    assert len(doc["epoch_seconds"]) == 1 and doc["train_seconds"] > 0


def check_progress_pacing(messages):
    """The kernel sends the progress display at most once per 0.6 s (its own clock)."""
    sent = [
        msg["content"]["data"][nbutil.PROGRESS_MIME]
        for msg in messages
        if msg["msg_type"] in ("display_data", "update_display_data")
        and nbutil.PROGRESS_MIME in msg["content"].get("data", {})
    ]
    assert len(sent) >= 3, "the first display, updates during training, the final update"
    assert sent[0]["phase"] == "starting" and sent[-1]["phase"] == "done"
    gaps = [later["elapsed"] - earlier["elapsed"] for earlier, later in zip(sent, sent[1:])]
    # `elapsed` is rounded to the millisecond.
    assert min(gaps) >= 0.599, gaps


def test_missing_data_is_a_clear_error(run, tmp_path):
    from nbclient.exceptions import CellExecutionError

    empty = tmp_path / "no-mnist-here"
    empty.mkdir()
    with pytest.raises(CellExecutionError) as info:
        run("missing", profile="quick", data_dir=os.fspath(empty), download=False)
    message = str(info.value)
    assert "FileNotFoundError" in message and os.fspath(empty) in message
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "download=True"):
        assert name in message
    assert "split_from_test=True" in message


SYNTHETIC = {
    "profile": "quick",
    "dataset": "synthetic",
    "train_size": 640,
    "test_size": 200,
    "warmup_steps": 5,
}
# A device cell that leaves no `torch` name behind: later cells may only rely on `device`.
BARE_DEVICE_CELL = 'import torch as _t\n\ndevice = _t.device("cpu")'


def test_synthetic_is_labelled(run, schema):
    nb = run("synthetic", device_source=BARE_DEVICE_CELL, **SYNTHETIC)
    bundle = nbutil.result_bundle(nb)
    doc = check_result(bundle, schema, "quick")
    assert doc["data"]["source"] == "synthetic" and doc["data"]["loader"] == "synthetic"
    assert doc["settings"]["dataset"] == "synthetic"
    assert "SYNTHETIC" in bundle["text/plain"] and "SYNTHETIC" in bundle["text/markdown"]
    assert doc["accuracy_note"] == "random labels: accuracy means nothing"
    assert "(random labels: accuracy means nothing)" in bundle["text/plain"]
    check_progress(nb, doc)


def test_result_variable_and_script_give_same_document(run, schema, kernel_env, tmp_path):
    """Headless runners read `device_bench_result`; a plain script run gives the same document."""
    nb = nbutil.inject_parameters(nbutil.load_notebook(), **SYNTHETIC)
    nb.cells.append(
        nbformat.v4.new_code_cell("import json\nprint(json.dumps(device_bench_result))")
    )
    executed = nbutil.execute(nb, tmp_path, timeout=300)
    printed = json.loads(executed.cells[-1].outputs[-1]["text"])
    result_cell = nbutil.cell_by_tag(executed, "device-bench-result")
    displayed = [o["data"] for o in result_cell.outputs if nbutil.RESULT_MIME in o.get("data", {})]
    assert [printed] == [d[nbutil.RESULT_MIME] for d in displayed]

    # Deterministic: same settings and seed give the same losses and accuracy, in a kernel or
    # as the notebook's code concatenated into a script (how bench/bench_overhead.py runs it).
    earlier = nbutil.result_bundle(run("synthetic", device_source=BARE_DEVICE_CELL, **SYNTHETIC))
    script_doc = nbutil.run_as_script(
        nbutil.inject_parameters(nbutil.load_notebook(), **SYNTHETIC), tmp_path, timeout=300
    )
    jsonschema.Draft202012Validator(schema).validate(script_doc)
    for doc in (printed, script_doc):
        for key in ("settings", "data", "epoch_losses", "accuracy", "model_parameters", "device"):
            assert doc[key] == earlier[nbutil.RESULT_MIME][key], key
