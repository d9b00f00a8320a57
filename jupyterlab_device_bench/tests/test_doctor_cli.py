"""``python -m jupyterlab_device_bench doctor``: the same diagnosis and commands, on a terminal."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from .test_doctor_kernel import fake_rtx_nvml  # noqa: F401 (fixture)
from .test_probe import clean_env

ROOT = Path(__file__).resolve().parents[2]
CU126 = "--index-url https://download.pytorch.org/whl/cu126"


def run_doctor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jupyterlab_device_bench", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_doctor_json_with_fake_rtx(fake_rtx_nvml: Path) -> None:  # noqa: F811
    done = run_doctor("--json", env=clean_env(LD_LIBRARY_PATH=str(fake_rtx_nvml)))
    assert done.returncode == 1, done.stderr  # an error-level diagnosis stands
    doc = json.loads(done.stdout)
    (found,) = [item for item in doc["diagnostics"] if item["code"] == "cpu-only-build"]
    command = found["fixes"][0]["commands"][0]["command"]
    assert command.endswith(f"'torch==2.13.*' {CU126}")
    assert command.startswith(f"{shlex.quote(sys.executable)} -m pip uninstall -y torch\n")


def test_doctor_text_prints_backends_and_commands(fake_rtx_nvml: Path) -> None:  # noqa: F811
    done = run_doctor(env=clean_env(LD_LIBRARY_PATH=str(fake_rtx_nvml)))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert "NVIDIA driver 550.54.15 (CUDA up to 12.4)" in lines
    assert any(
        line.split() == ["CUDA", "not", "usable", "this", "torch", "is", "a", "CPU-only", "build"]
        for line in lines
    )
    assert f"     {shlex.quote(sys.executable)} -m pip install 'torch==2.13.*' {CU126}" in lines
    assert "Fix: Install torch 2.13 for CUDA 12.6 (cu126)" in lines


def test_doctor_without_gpu_is_clean_and_lazy() -> None:
    code = (
        "import runpy, sys; sys.argv = ['x', 'doctor', '--json'];\n"
        "try:\n    runpy.run_module('jupyterlab_device_bench', run_name='__main__')\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        "print('LAZY', 'nbclient' in sys.modules, 'jsonschema' in sys.modules, code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=180,
        env=clean_env(LD_LIBRARY_PATH=""),
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "LAZY False False 0"
