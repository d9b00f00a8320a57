"""Build notebooks/mnist_bench.zh_CN.ipynb: the English benchmark notebook with its prose in
Simplified Chinese, from ONE source.

The English notebook (notebooks/mnist_bench.ipynb) is the source of every code cell, cell id,
tag and the notebook metadata; notebooks/mnist_bench.zh_CN.prose.json holds only the Chinese
of each markdown cell, in order, with the SHA-256 of the English text it translates. So the two
notebooks can never differ in code, and a changed English cell makes the build fail until its
translation is updated (change the text, then put the new hash, which the error names).

    python scripts/build_zh_notebook.py          # write the Chinese notebook
    python scripts/build_zh_notebook.py --check  # fail if it is stale (the pytest does this)
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = ROOT / "notebooks" / "mnist_bench.ipynb"
PROSE = ROOT / "notebooks" / "mnist_bench.zh_CN.prose.json"
CHINESE = ROOT / "notebooks" / "mnist_bench.zh_CN.ipynb"


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def english_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build() -> str:
    """The Chinese notebook's text; raises ValueError when the prose table is out of date."""
    notebook = json.loads(ENGLISH.read_text(encoding="utf-8"))
    prose = json.loads(PROSE.read_text(encoding="utf-8"))["cells"]
    markdown = [cell for cell in notebook["cells"] if cell["cell_type"] == "markdown"]
    if len(markdown) != len(prose):
        raise ValueError(
            f"{ENGLISH.name} has {len(markdown)} markdown cells, {PROSE.name} {len(prose)}"
        )
    out = copy.deepcopy(notebook)
    cells = [cell for cell in out["cells"] if cell["cell_type"] == "markdown"]
    for cell, entry in zip(cells, prose):
        english = _text(cell["source"])
        if entry["id"] != cell.get("id") or entry["en_sha256"] != english_hash(english):
            raise ValueError(
                f"the English of markdown cell {cell.get('id')!r} changed: update its Chinese "
                f"in {PROSE.name}, then set en_sha256 to {english_hash(english)}"
            )
        cell["source"] = _lines("\n".join(entry["zh"]))
    return json.dumps(out, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    try:
        text = build()
    except ValueError as error:
        print(f"build_zh_notebook: {error}", file=sys.stderr)
        return 1
    if "--check" in argv:
        if not CHINESE.exists() or CHINESE.read_text(encoding="utf-8") != text:
            print(f"{CHINESE.name} is stale: run python scripts/build_zh_notebook.py")
            return 1
        return 0
    CHINESE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
