"""Build the wheel from a clean copy of the tree and check it the way a user installs it.

1. Copy the tracked files (no build outputs) to a scratch folder and run ``pip wheel`` there:
   hatch-jupyter-builder runs the production JavaScript build.
2. Check the wheel's contents: the prebuilt extension, install.json, the settings schema and
   the benchmark notebook.
3. Install the wheel and JupyterLab into a fresh virtual environment, then run
   ``jupyter labextension list`` with a PATH that holds no Node: the extension must be
   ``enabled OK``.

Exit status 0 when every check holds. Prints one line per check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "jupyterlab-device-bench"
EXT_DIR = f"share/jupyter/labextensions/{NAME}"


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, text=True, **kwargs)


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


def build_wheel(work: Path) -> Path:
    src = work / "src"
    for rel in tracked_files():
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    # Reuse the installed node_modules (same package-lock.json) instead of downloading again.
    (src / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), "."], cwd=src)
    wheels = list(dist.glob("jupyterlab_device_bench-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel, found {wheels}")
    return wheels[0]


def check_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    name, version = wheel.name.split("-")[:2]
    data = f"{name}-{version}.data"
    expected = [
        f"{data}/data/{EXT_DIR}/package.json",
        f"{data}/data/{EXT_DIR}/install.json",
        f"{data}/data/{EXT_DIR}/schemas/{NAME}/plugin.json",
        "jupyterlab_device_bench/__init__.py",
        "jupyterlab_device_bench/_version.py",
        "jupyterlab_device_bench/probe.py",
    ]
    if (ROOT / "notebooks" / "mnist_bench.ipynb").exists():
        expected.append("jupyterlab_device_bench/notebooks/mnist_bench.ipynb")
    missing = [e for e in expected if e not in names]
    if missing:
        raise SystemExit(f"wheel is missing: {missing}")
    if not any(re.match(rf"{re.escape(data)}/data/{EXT_DIR}/static/remoteEntry\..*\.js$", n) for n in names):
        raise SystemExit("wheel has no prebuilt remoteEntry.js")
    if any("/tests/" in n for n in names):
        raise SystemExit("wheel carries the test suite")
    print(f"ok: {wheel.name} holds the prebuilt extension, schema and Python package")


def check_install(wheel: Path, work: Path) -> None:
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    import jupyterlab  # the version the project is developed against

    run([str(py), "-m", "pip", "install", "-q", f"jupyterlab=={jupyterlab.__version__}", str(wheel)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    env["PATH"] = str(venv / "bin")  # no Node here
    for key, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime")):
        env[key] = str(work / sub)
    if shutil.which("node", path=env["PATH"]):
        raise SystemExit("node is still reachable on the check's PATH")
    out = subprocess.run(
        [str(venv / "bin" / "jupyter"), "labextension", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    listing = out.stdout + out.stderr
    print(listing)
    if not re.search(rf"{re.escape(NAME)} v\S+ enabled OK", listing):
        raise SystemExit(f"{NAME} is not listed as enabled OK")
    print(f"ok: {NAME} is enabled OK in a fresh venv without Node")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="device-bench-wheel-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work)
        check_contents(wheel)
        check_install(wheel, work)


if __name__ == "__main__":
    main()
