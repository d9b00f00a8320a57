"""The install doctor through a real ipykernel: the CPU-only torch here, a fake NVIDIA driver
(a libnvidia-ml.so.1 compiled by this test, found through LD_LIBRARY_PATH), and a kernel
without torch. The probe gets the doctor and its facts as string literals, as the extension
sends them, so the kernel never needs this package."""

from __future__ import annotations

import ast
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import DOCTOR_PATH, FACTS_PATH, PROBE_PATH, doctor_probe_expression
from .test_probe import _execute, clean_env, decode_b64

# One fake NVML source, also compiled by ui-tests/tests/doctor.spec.ts (values set by -D).
FAKE_NVML_C = Path(__file__).with_name("fake_nvml.c")


@pytest.fixture(scope="module")
def fake_rtx_nvml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fake libnvidia-ml.so.1: one RTX 3070 Ti Laptop GPU (8.6), driver 550.54.15 (CUDA 12.4)."""
    assert sys.platform.startswith("linux"), "the fake NVML library is a Linux shared object"
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler, "a C compiler is needed to build the fake NVML library"
    folder = tmp_path_factory.mktemp("fake-rtx-nvml")
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-o", str(folder / "libnvidia-ml.so.1"), str(FAKE_NVML_C)],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder


def probe_in_kernel(root: Path, python: str, env: dict[str, str]) -> dict[str, Any]:
    """Start a real ipykernel of ``python`` with ``env``, send the extension's probe request."""
    import jupyter_client.manager as manager_module

    spec_dir = root / "data" / "kernels" / "device-bench-doctor"
    spec_dir.mkdir(parents=True)
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "doctor test", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    expression = doctor_probe_expression(
        PROBE_PATH.read_text(encoding="utf-8"),
        DOCTOR_PATH.read_text(encoding="utf-8"),
        FACTS_PATH.read_text(encoding="utf-8"),
    )
    env = {
        **env,
        "JUPYTER_PATH": str(root / "data"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "IPYTHONDIR": str(root / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "OMP_NUM_THREADS": "1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key in ("JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
            patch.setenv(key, env[key])
        manager, client = manager_module.start_new_kernel(
            kernel_name="device-bench-doctor", startup_timeout=120, env=env
        )
        try:
            reply, messages = _execute(
                client,
                "",
                silent=True,
                store_history=False,
                user_expressions={"device_bench": expression},
            )
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    assert {message["msg_type"] for message in messages} == {"status"}
    entry = reply["content"]["user_expressions"]["device_bench"]
    assert entry["status"] == "ok", entry
    return decode_b64(ast.literal_eval(entry["data"]["text/plain"]))


def test_cpu_torch_with_fake_rtx_gets_the_cu126_command(
    fake_rtx_nvml: Path, tmp_path: Path
) -> None:
    import torch

    assert torch.version.cuda is None, "this test needs the CPU-only torch of the dev venv"
    env = clean_env(LD_LIBRARY_PATH=str(fake_rtx_nvml))
    doc = probe_in_kernel(tmp_path, sys.executable, env)
    assert doc["errors"] == []
    assert doc["cuda"]["nvml_gpus"][0]["capability"] == "8.6"
    assert doc["cuda"]["driver_version"] == "550.54.15"
    assert doc["environment"]["torch_installer"] == "pip"
    assert doc["environment"]["torch_variant"] == "cpu"
    (found,) = [item for item in doc["diagnostics"] if item["code"] == "cpu-only-build"]
    fix = found["fixes"][0]
    exe = shlex.quote(sys.executable)
    release = ".".join(torch.__version__.split(".")[:2])
    assert fix["commands"][0] == {
        "shell": "posix",
        "command": f"{exe} -m pip uninstall -y torch\n{exe} -m pip install "
        f"'torch=={release}.*' --index-url https://download.pytorch.org/whl/cu126",
    }
    assert fix["cell"] == (
        f'%pip uninstall -y torch\n%pip install "torch=={release}.*" '
        "--index-url https://download.pytorch.org/whl/cu126"
    )
    assert fix["expect"] == "cuda:0"
    assert doc["backends"][0] == {
        "backend": "cuda",
        "usable": False,
        "device": None,
        "reason": "this torch is a CPU-only build",
        "i18n": {"code": "row-cpu-only-build", "args": {}},
    }


@pytest.fixture(scope="module")
def python_without_torch_with_ipykernel() -> str:
    """The no-torch interpreter `make test` creates (.venv-notorch), with ipykernel."""
    venv = Path(__file__).resolve().parents[2] / ".venv-notorch"
    python = venv / "bin" / "python"
    assert python.is_file(), f"{venv} is missing: make test creates it"
    done = subprocess.run([str(python), "-c", "import ipykernel"], capture_output=True, timeout=60)
    assert done.returncode == 0, "the no-torch venv needs ipykernel"
    return str(python)


def test_no_torch_kernel_gets_an_install_command_for_its_interpreter(
    python_without_torch_with_ipykernel: str, tmp_path: Path
) -> None:
    python = python_without_torch_with_ipykernel
    doc = probe_in_kernel(tmp_path, python, clean_env())
    (found,) = doc["diagnostics"]
    assert found["code"] == "torch-missing"
    command = found["fixes"][0]["commands"][0]
    assert command["shell"] == "posix"
    assert command["command"].startswith(f"{shlex.quote(python)} -m pip install 'torch==")
    assert command["command"].endswith("--index-url https://download.pytorch.org/whl/cpu")
    assert found["fixes"][0]["cell"].startswith('%pip install "torch==')
