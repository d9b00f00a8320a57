"""The Chinese benchmark notebook is built from the English one: same code, Chinese prose.

scripts/build_zh_notebook.py takes every code cell, id, tag and the metadata from
notebooks/mnist_bench.ipynb and only the markdown from notebooks/mnist_bench.zh_CN.prose.json.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def _builder():
    spec = importlib.util.spec_from_file_location("build_zh", ROOT / "scripts/build_zh_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def test_the_chinese_notebook_is_not_stale():
    built = _builder().build()
    assert (NOTEBOOKS / "mnist_bench.zh_CN.ipynb").read_text(encoding="utf-8") == built, (
        "run python scripts/build_zh_notebook.py"
    )


def test_code_cells_and_metadata_are_the_english_ones():
    english, chinese = _load("mnist_bench.ipynb"), _load("mnist_bench.zh_CN.ipynb")
    assert chinese["metadata"] == english["metadata"]
    assert [c["cell_type"] for c in chinese["cells"]] == [c["cell_type"] for c in english["cells"]]
    code = [(c, d) for c, d in zip(english["cells"], chinese["cells"]) if c["cell_type"] == "code"]
    assert len(code) >= 10
    for en, zh in code:
        assert zh == en


def test_every_markdown_cell_is_chinese_with_the_same_headings_level():
    english, chinese = _load("mnist_bench.ipynb"), _load("mnist_bench.zh_CN.ipynb")
    for en, zh in zip(english["cells"], chinese["cells"]):
        if en["cell_type"] != "markdown":
            continue
        text, original = "".join(zh["source"]), "".join(en["source"])
        assert re.search(r"[\u4e00-\u9fff]", text), en["id"]
        assert zh["id"] == en["id"] and zh["metadata"] == en["metadata"]
        assert re.findall(r"^#+ ", text, re.M) == re.findall(r"^#+ ", original, re.M)
    assert "显卡" in "".join(chinese["cells"][0]["source"])


def test_a_changed_english_cell_fails_the_build(monkeypatch, tmp_path):
    builder = _builder()
    notebook = _load("mnist_bench.ipynb")
    notebook["cells"][0]["source"].append("One more sentence.\n")
    changed = tmp_path / "mnist_bench.ipynb"
    changed.write_text(json.dumps(notebook), encoding="utf-8")
    monkeypatch.setattr(builder, "ENGLISH", changed)
    try:
        builder.build()
    except ValueError as error:
        assert "intro" in str(error) and "en_sha256" in str(error)
    else:
        raise AssertionError("a changed English cell must fail the build")
