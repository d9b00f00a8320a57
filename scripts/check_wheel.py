"""Build the wheel from a clean copy of the tree and check it the way a user installs it.

1. Copy the tracked files (no build outputs) to a scratch folder and run ``pip wheel`` there:
   hatch-jupyter-builder runs the production JavaScript build.
2. Check the wheel's contents: the prebuilt extension, install.json, the settings schema and
   the benchmark notebook.
3. Install JupyterLab (while the wheel builds), then the wheel, into a fresh virtual
   environment, then run ``jupyter labextension list`` with a PATH that holds no Node: the
   extension must be ``enabled OK``.

Exit status 0 when every check holds. Prints one line per check.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
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
        f"{data}/data/etc/jupyter/jupyter_server_config.d/{NAME.replace('-', '_')}.json",
        "jupyterlab_device_bench/__init__.py",
        "jupyterlab_device_bench/savehook.py",
        "jupyterlab_device_bench/_version.py",
        "jupyterlab_device_bench/probe.py",
        "jupyterlab_device_bench/doctor.py",
        "jupyterlab_device_bench/install_facts.json",
        "jupyterlab_device_bench/contract.json",
        "jupyterlab_device_bench/schemas/install_facts.schema.json",
        # The extension's own translations, found through the jupyterlab.locale entry point.
        "jupyterlab_device_bench/locale/zh_CN/LC_MESSAGES/jupyterlab_device_bench.json",
    ]
    if (ROOT / "notebooks" / "mnist_bench.ipynb").exists():
        expected.append("jupyterlab_device_bench/notebooks/mnist_bench.ipynb")
    missing = [e for e in expected if e not in names]
    if missing:
        raise SystemExit(f"wheel is missing: {missing}")
    entry = re.compile(rf"{re.escape(data)}/data/{EXT_DIR}/static/remoteEntry\..*\.js$")
    if not any(entry.match(n) for n in names):
        raise SystemExit("wheel has no prebuilt remoteEntry.js")
    if any("/tests/" in n for n in names):
        raise SystemExit("wheel carries the test suite")
    points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
    text = zipfile.ZipFile(wheel).read(points).decode() if points else ""
    if (
        "[jupyterlab.locale]" not in text
        or "jupyterlab_device_bench = jupyterlab_device_bench" not in text
    ):
        raise SystemExit("wheel has no jupyterlab.locale entry point for its catalog")
    print(
        f"ok: {wheel.name} holds the prebuilt extension, schema, zh_CN catalog and Python package"
    )


def make_venv(work: Path) -> Path:
    """A fresh virtual environment with the JupyterLab the project is developed against."""
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    import jupyterlab

    lab = f"jupyterlab=={jupyterlab.__version__}"
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", lab])
    return venv


def check_install(wheel: Path, venv: Path, work: Path) -> None:
    py = venv / "bin" / "python"
    run([str(py), "-m", "pip", "install", "-q", str(wheel)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    env["PATH"] = str(venv / "bin")  # no Node here
    for key, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
    ):
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
    listing = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # drop colours
    print(listing)
    if not re.search(rf"{re.escape(NAME)} v\S+ enabled OK", listing):
        raise SystemExit(f"{NAME} is not listed as enabled OK")
    print(f"ok: {NAME} is enabled OK in a fresh venv without Node")
    check_served(venv, env, work)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_lab(venv: Path, env: dict[str, str], root: Path) -> tuple[subprocess.Popen, str, str]:
    """Start that JupyterLab on a free port; the server, its base URL and its /lab page.

    A port found free can be taken before the server binds it (pytest starts kernels meanwhile):
    the server then exits at once, and another port is tried.
    """
    for _ in range(3):
        port = free_port()
        args = [
            str(venv / "bin" / "jupyter-lab"),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            f"--ServerApp.root_dir={root}",
        ]
        if os.geteuid() == 0:
            args.append("--allow-root")
        server = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            if server.poll() is not None:
                break  # it could not bind the port: another one
            try:
                page = urllib.request.urlopen(f"{base}/lab", timeout=5).read().decode()
                return server, base, page
            except OSError:
                time.sleep(0.5)
        server.terminate()
        server.wait(timeout=30)
    raise SystemExit("the wheel's JupyterLab did not start (3 ports tried)")


def check_served(venv: Path, env: dict[str, str], work: Path) -> None:
    """Start that JupyterLab and fetch the extension's entry point as the browser would."""
    root = work / "root"
    root.mkdir()
    server, base, page = start_lab(venv, env, root)
    try:
        match = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)
        config = json.loads(match.group(1))
        entry = next(e for e in config["federated_extensions"] if e["name"] == NAME)
        url = f"{base}/lab/extensions/{NAME}/{entry['load']}"
        body = urllib.request.urlopen(url, timeout=10).read()
        if b"jupyterlab-device-bench" not in body:
            raise SystemExit(f"{url} does not serve the extension's entry point")
        print(f"ok: JupyterLab from the wheel serves {entry['load']} to the browser")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="device-bench-wheel-") as tmp:
        work = Path(tmp)
        # The user's JupyterLab installs while the wheel builds (the build is
        # mostly Node, the install mostly pip): about 45 s less on 2 cores.
        with ThreadPoolExecutor(max_workers=1) as pool:
            venv = pool.submit(make_venv, work)
            wheel = build_wheel(work)
            check_contents(wheel)
            check_install(wheel, venv.result(), work)


if __name__ == "__main__":
    main()
