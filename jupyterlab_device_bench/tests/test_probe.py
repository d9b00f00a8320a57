"""Tests of the kernel probe (jupyterlab_device_bench/probe.py).

Real interpreters where possible: this test environment (with torch), a fresh venv without
torch, and a real ipykernel driven through jupyter_client. Branches that need hardware this
machine lacks (CUDA, MPS, old drivers) run in-process against ``fake_torch_module``.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, Callable

import pytest

from .conftest import (
    DOCTOR_PATH,
    PROBE_PATH,
    TYPES_PATH,
    fake_cuda_device,
    fake_nvml,
    fake_torch_module,
    no_nvml,
    probe_expression,
)

FakeMachine = Callable[..., "dict[str, Any]"]

CUDA_12_ARCHS = ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")


def strict_json(text: str) -> dict[str, Any]:
    """Parse JSON, rejecting NaN/Infinity like browsers' JSON.parse does."""

    def reject(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def decode_b64(text: str) -> dict[str, Any]:
    return strict_json(base64.b64decode(text, validate=True).decode("ascii"))


def codes(doc: dict[str, Any]) -> list[str]:
    return [diagnostic["code"] for diagnostic in doc["diagnostics"]]


def diagnostic(doc: dict[str, Any], code: str) -> dict[str, Any]:
    matches = [item for item in doc["diagnostics"] if item["code"] == code]
    assert len(matches) == 1, f"expected one {code!r} diagnostic, got {codes(doc)}"
    return matches[0]


def device_ids(doc: dict[str, Any]) -> list[str]:
    return [device["id"] for device in doc["devices"]]


def expected_recommendation(torch: Any) -> str:
    if torch.cuda.is_available():
        return "cuda:0"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


def run_probe_script(python: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(PROBE_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env if env is not None else clean_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return strict_json(done.stdout)


def venv_python(venv: Path) -> str:
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    return str(scripts / ("python.exe" if os.name == "nt" else "python"))


# --------------------------------------------------------------------------- real torch


@pytest.fixture(scope="module")
def real_torch() -> types.ModuleType:
    import torch

    return torch


def assert_matches_torch(doc: dict[str, Any], torch: Any) -> None:
    assert doc["schema_version"] == 1
    assert doc["torch"]["installed"] is True
    assert doc["torch"]["import_error"] is None
    assert doc["torch"]["version"] == torch.__version__
    assert doc["torch"]["cuda_build"] == torch.version.cuda
    assert doc["torch"]["num_threads"] == torch.get_num_threads()
    assert doc["cpu"]["torch_threads"] == torch.get_num_threads()
    assert doc["cuda"]["available"] == torch.cuda.is_available()
    assert doc["cpu"]["logical_cores"] == os.cpu_count()
    cpu = doc["devices"][-1]
    assert cpu["id"] == "cpu" and cpu["kind"] == "cpu" and cpu["available"] is True
    assert doc["recommended"] == expected_recommendation(torch)
    assert doc["errors"] == []


def test_script_prints_the_document(real_torch: Any) -> None:
    doc = run_probe_script(sys.executable)
    assert_matches_torch(doc, real_torch)
    assert doc["python"]["executable"] == sys.executable
    assert doc["elapsed_ms"] >= 0


def test_expression_contract_in_process(real_torch: Any, probe_source: str) -> None:
    namespace: dict[str, Any] = {}
    result = eval(probe_expression(probe_source), namespace)
    assert isinstance(result, str)
    doc = decode_b64(result)
    assert_matches_torch(doc, real_torch)
    # eval() adds __builtins__ to a bare globals dict; nothing else may appear.
    assert set(namespace) <= {"__builtins__"}


def test_probe_never_prints(
    real_torch: Any, probe: types.ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = probe.device_bench_probe()
    assert capsys.readouterr() == ("", "")
    assert doc["captured_output"] is None


def test_document_is_strict_json_and_base64(real_torch: Any, probe: types.ModuleType) -> None:
    text = probe.device_bench_probe_b64()
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", text)
    doc = decode_b64(text)
    assert set(doc) == set(probe._default_document())


def test_no_cuda_context_is_created(real_torch: Any, probe: types.ModuleType) -> None:
    was_initialized = real_torch.cuda.is_initialized()
    doc = probe.device_bench_probe()
    if not doc["cuda"]["available"]:
        assert real_torch.cuda.is_initialized() == was_initialized


# --------------------------------------------------------------------------- no torch


@pytest.fixture(scope="module")
def python_without_torch(tmp_path_factory: pytest.TempPathFactory) -> str:
    venv = tmp_path_factory.mktemp("no-torch") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        capture_output=True,
        timeout=120,
        env=clean_env(),
    )
    return venv_python(venv)


def test_interpreter_without_torch(python_without_torch: str) -> None:
    doc = run_probe_script(python_without_torch)
    assert doc["torch"]["installed"] is False
    assert doc["torch"]["import_error_type"] == "missing"
    assert "torch" in doc["torch"]["import_error"]
    assert doc["devices"] == []
    assert doc["recommended"] is None
    missing = diagnostic(doc, "torch-missing")
    assert missing["severity"] == "error"
    assert python_without_torch in missing["message"]
    # The install doctor's plan: the newest known release, for this very interpreter.
    newest = doc["facts"]["newest_release"]
    command = (
        f"{shlex.quote(python_without_torch)} -m pip install 'torch=={newest}.*' "
        "--index-url https://download.pytorch.org/whl/cpu"
    )
    assert command in missing["fix"]
    (fix,) = missing["fixes"]
    assert fix["commands"][0] == {"shell": "posix", "command": command}
    assert fix["cell"].startswith(f'%pip install "torch=={newest}.*"')
    assert codes(doc) == ["torch-missing"]


@pytest.mark.parametrize(
    ("init_py", "error_text"),
    [
        ("raise ImportError('fake_torch_broken: libtorch_cpu.so missing')", "libtorch_cpu.so"),
        ("import fake_torch_dependency_that_is_missing", "fake_torch_dependency_that_is_missing"),
    ],
    ids=["import-error", "missing-dependency"],
)
def test_broken_torch_install(
    python_without_torch: str, tmp_path: Path, init_py: str, error_text: str
) -> None:
    package = tmp_path / "fake_torch_broken" / "torch"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(init_py + "\n", encoding="utf-8")
    doc = run_probe_script(python_without_torch, clean_env(PYTHONPATH=str(package.parent)))
    assert doc["torch"]["installed"] is False
    assert doc["torch"]["import_error_type"] == "failed"
    failed = diagnostic(doc, "torch-import-failed")
    assert error_text in failed["message"]
    assert python_without_torch in failed["message"]
    assert "torch-missing" not in codes(doc)
    assert doc["devices"] == [] and doc["recommended"] is None


# --------------------------------------------------------------------------- real ipykernel


def _execute(client: Any, code: str, **options: Any) -> tuple[dict[str, Any], list[dict]]:
    """Run one execute request; return its reply and the iopub messages it caused."""
    msg_id = client.execute(code, **options)
    while True:
        reply = client.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    messages = []
    while True:
        message = client.get_iopub_msg(timeout=120)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return reply, messages


def _expression(client: Any, expression: str) -> tuple[Any, list[dict]]:
    reply, messages = _execute(
        client, "", silent=True, store_history=False, user_expressions={"value": expression}
    )
    assert reply["content"]["status"] == "ok"
    result = reply["content"]["user_expressions"]["value"]
    assert result["status"] == "ok", result
    return ast.literal_eval(result["data"]["text/plain"]), messages


PUBLIC_NAMES = "sorted(k for k in get_ipython().user_ns if not k.startswith('_'))"
ALL_NAMES = "sorted(get_ipython().user_ns)"


@pytest.fixture(scope="module")
def kernel_run(tmp_path_factory: pytest.TempPathFactory, probe_source_text: str) -> dict:
    """Drive a real ipykernel (this interpreter) through the probe request and record it."""
    import jupyter_client.manager as manager_module

    root = tmp_path_factory.mktemp("kernel")
    spec_dir = root / "data" / "kernels" / "device-bench-test"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "device-bench test", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root / "data"))
        patch.setenv("JUPYTER_DATA_DIR", str(root / "data"))
        patch.setenv("JUPYTER_CONFIG_DIR", str(root / "config"))
        patch.setenv("JUPYTER_RUNTIME_DIR", str(root / "runtime"))
        patch.setenv("IPYTHONDIR", str(root / "ipython"))
        patch.setenv("JUPYTER_PLATFORM_DIRS", "1")
        patch.delenv("PYTHONPATH", raising=False)
        manager, client = manager_module.start_new_kernel(
            kernel_name="device-bench-test", startup_timeout=120
        )
        try:
            before_reply, _ = _execute(client, "device_bench_before = 1")
            public_before, _ = _expression(client, PUBLIC_NAMES)
            all_before, _ = _expression(client, ALL_NAMES)
            probe_reply, probe_messages = _execute(
                client,
                "",
                silent=True,
                store_history=False,
                user_expressions={"device_bench": probe_expression(probe_source_text)},
            )
            public_after, _ = _expression(client, PUBLIC_NAMES)
            all_after, _ = _expression(client, ALL_NAMES)
            after_reply, _ = _execute(client, "device_bench_after = 2")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    return {
        "count_before": before_reply["content"]["execution_count"],
        "count_after": after_reply["content"]["execution_count"],
        "public_before": public_before,
        "public_after": public_after,
        "all_before": all_before,
        "all_after": all_after,
        "reply": probe_reply,
        "messages": probe_messages,
    }


@pytest.fixture(scope="module")
def probe_source_text() -> str:
    return PROBE_PATH.read_text(encoding="utf-8")


def test_kernel_reply_decodes_to_the_document(kernel_run: dict, real_torch: Any) -> None:
    content = kernel_run["reply"]["content"]
    assert content["status"] == "ok"
    entry = content["user_expressions"]["device_bench"]
    assert entry["status"] == "ok", entry
    doc = decode_b64(ast.literal_eval(entry["data"]["text/plain"]))
    assert_matches_torch(doc, real_torch)
    assert doc["python"]["executable"] == sys.executable


def test_kernel_probe_leaves_no_output(kernel_run: dict) -> None:
    kinds = [message["msg_type"] for message in kernel_run["messages"]]
    assert set(kinds) == {"status"}, kinds


def test_kernel_probe_keeps_execution_count(kernel_run: dict) -> None:
    assert kernel_run["count_after"] == kernel_run["count_before"] + 1


def test_kernel_probe_keeps_user_namespace(kernel_run: dict) -> None:
    assert kernel_run["public_after"] == kernel_run["public_before"]
    assert kernel_run["all_after"] == kernel_run["all_before"]
    assert "torch" not in kernel_run["all_after"]
    assert "device_bench_before" in kernel_run["public_after"]


# --------------------------------------------------------------------------- fake hardware


def test_fake_torch_cpu_build_with_nvidia_gpu(fake_machine: FakeMachine) -> None:
    gpu = "NVIDIA GeForce RTX 3070 Ti Laptop GPU"
    torch = fake_torch_module(version="2.13.0+cpu")
    doc = fake_machine(torch, fake_nvml("12.4", (gpu,), capabilities=("8.6",)))
    found = diagnostic(doc, "cpu-only-build")
    assert found["severity"] == "error"
    assert "CPU-only build" in found["message"] and gpu in found["message"]
    # torch 2.13 has no CUDA 12.4 build; cu126 runs on a 12.4 driver (minor-version compat).
    assert "--index-url https://download.pytorch.org/whl/cu126" in found["fix"]
    assert f"{shlex.quote(sys.executable)} -m pip uninstall -y torch" in found["fix"]
    assert "CUDA 12.6 runs on a CUDA 12.4 driver" in found["fixes"][0]["reason"]
    assert "cpu-only" not in codes(doc)
    assert device_ids(doc) == ["cuda:0", "cpu"]
    assert doc["devices"][0]["available"] is False and doc["devices"][0]["name"] == gpu
    assert doc["recommended"] == "cpu"
    assert doc["cuda"]["nvml_gpu_count"] == 1 and doc["cuda"]["driver_cuda_version"] == "12.4"


def test_fake_torch_cpu_build_with_driver_files_only(fake_machine: FakeMachine) -> None:
    doc = fake_machine(fake_torch_module(), no_nvml(), driver_files=True)
    found = diagnostic(doc, "cpu-only-build")
    assert "an NVIDIA driver" in found["message"]
    assert doc["cuda"]["nvml_gpu_count"] is None
    assert device_ids(doc) == ["cpu"]


def test_fake_torch_cpu_build_without_gpu_is_plain_cpu(fake_machine: FakeMachine) -> None:
    doc = fake_machine(fake_torch_module(), no_nvml(), cpu_model="Fake Xeon")
    assert codes(doc) == ["cpu-only"]
    assert diagnostic(doc, "cpu-only")["severity"] == "info"
    assert "Fake Xeon" in diagnostic(doc, "cpu-only")["message"]
    assert doc["devices"] == [
        {
            "id": "cpu",
            "kind": "cpu",
            "name": "Fake Xeon",
            "available": True,
            "total_memory": doc["cpu"]["total_memory"],
            "detail": f"{os.cpu_count()} logical cores, torch uses 4 threads",
        }
    ]


def test_fake_torch_cuda_available(fake_machine: FakeMachine) -> None:
    torch = fake_torch_module(
        cuda_build="12.1",
        cuda_available=True,
        devices=(fake_cuda_device("NVIDIA GeForce RTX 3090", 8, 6, 24 << 30, 82),),
        arch_list=CUDA_12_ARCHS,
    )
    doc = fake_machine(torch, fake_nvml("12.4", ("NVIDIA GeForce RTX 3090",)))
    assert codes(doc) == []
    assert doc["recommended"] == "cuda:0"
    assert device_ids(doc) == ["cuda:0", "cpu"]
    assert doc["cuda"]["devices"] == [
        {
            "index": 0,
            "name": "NVIDIA GeForce RTX 3090",
            "total_memory": 24 << 30,
            "capability": "8.6",
            "major": 8,
            "minor": 6,
            "multiprocessors": 82,
            "supported": True,
        }
    ]
    assert doc["devices"][0]["available"] is True
    assert "compute capability 8.6" in doc["devices"][0]["detail"]
    assert doc["torch"]["cudnn"] == 90100
    assert doc["torch"]["arch_list"] == list(CUDA_12_ARCHS)
    assert "init" not in torch.cuda.calls


def test_fake_torch_cuda_unavailable_driver_too_old(fake_machine: FakeMachine) -> None:
    torch = fake_torch_module(cuda_build="12.1", arch_list=CUDA_12_ARCHS)
    doc = fake_machine(torch, fake_nvml("11.4", ("NVIDIA GeForce GTX 1660",)))
    found = diagnostic(doc, "cuda-unavailable")
    assert found["severity"] == "error"
    assert "too old" in found["message"]
    assert "11.4" in found["message"] and "12.1" in found["message"]
    assert "12.1" in found["fix"]
    assert doc["recommended"] == "cpu"
    assert device_ids(doc) == ["cuda:0", "cpu"]
    assert doc["devices"][0]["available"] is False
    assert "get_device_properties" not in torch.cuda.calls


def test_fake_torch_cuda_unavailable_same_major_driver_is_not_blamed(
    fake_machine: FakeMachine,
) -> None:
    # 12.2 runs a 12.4 build (minor-version compatibility): the cause is elsewhere.
    torch = fake_torch_module(
        cuda_build="12.4", arch_list=CUDA_12_ARCHS, init_warning="CUDA unknown error"
    )
    doc = fake_machine(torch, fake_nvml("12.2", ("NVIDIA A100",)))
    found = diagnostic(doc, "cuda-unavailable")
    assert found["severity"] == "error"
    assert "too old" not in found["message"]
    assert "although an NVIDIA GPU was detected" in found["message"]
    assert "same major version" in found["message"]
    assert "CUDA unknown error" in found["message"]
    assert "nvidia-smi" in found["fix"]


def test_fake_torch_cuda_driver_older_but_compatible(fake_machine: FakeMachine) -> None:
    torch = fake_torch_module(
        cuda_build="12.4",
        cuda_available=True,
        devices=(fake_cuda_device("NVIDIA A100", 8, 0),),
        arch_list=CUDA_12_ARCHS,
    )
    doc = fake_machine(torch, fake_nvml("12.2", ("NVIDIA A100",)))
    found = diagnostic(doc, "driver-old")
    assert found["severity"] == "warning"
    assert "12.2" in found["message"] and "12.4" in found["message"]
    assert doc["recommended"] == "cuda:0"


@pytest.mark.parametrize("value", ["", "-1", "NoDevFiles", "3"])
def test_fake_torch_cuda_hidden_by_visible_devices(
    fake_machine: FakeMachine, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
    torch = fake_torch_module(cuda_build="12.1", arch_list=CUDA_12_ARCHS)
    doc = fake_machine(torch, fake_nvml("12.4"))
    assert doc["cuda"]["visible_devices_env"] == value
    found = diagnostic(doc, "cuda-unavailable")
    assert f'CUDA_VISIBLE_DEVICES is set to "{value}"' in found["message"]
    assert "Unset CUDA_VISIBLE_DEVICES" in found["fix"]


def test_fake_torch_cuda_visible_devices_selecting_a_gpu_is_not_blamed(
    fake_machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    torch = fake_torch_module(cuda_build="12.1", init_warning="CUDA initialization: fake error")
    doc = fake_machine(torch, fake_nvml("12.4"))
    found = diagnostic(doc, "cuda-unavailable")
    assert "CUDA_VISIBLE_DEVICES" not in found["message"]
    assert "CUDA initialization: fake error" in found["message"]
    assert doc["cuda"]["init_warning"] == "CUDA initialization: fake error"


def test_fake_torch_cuda_some_gpus_hidden(
    fake_machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    torch = fake_torch_module(
        cuda_build="12.1",
        cuda_available=True,
        devices=(fake_cuda_device("NVIDIA L4", 8, 9),),
        arch_list=CUDA_12_ARCHS,
    )
    doc = fake_machine(torch, fake_nvml("12.4", ("NVIDIA L4", "NVIDIA L4")))
    found = diagnostic(doc, "cuda-devices-hidden")
    assert found["severity"] == "info" and "1 of the 2" in found["message"]
    # 8.9 runs the sm_86 cubins: same major version, newer minor.
    assert doc["cuda"]["devices"][0]["supported"] is True


def test_fake_torch_cuda_build_on_machine_without_nvidia(fake_machine: FakeMachine) -> None:
    doc = fake_machine(fake_torch_module(cuda_build="12.1"), no_nvml())
    assert codes(doc) == ["cuda-unavailable", "cpu-only"]
    assert diagnostic(doc, "cuda-unavailable")["severity"] == "info"
    assert "no NVIDIA driver" in diagnostic(doc, "cuda-unavailable")["message"]
    assert device_ids(doc) == ["cpu"]


def test_fake_torch_cuda_arch_unsupported(fake_machine: FakeMachine) -> None:
    archs = ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120")
    torch = fake_torch_module(
        cuda_build="12.8",
        cuda_available=True,
        devices=(
            fake_cuda_device("NVIDIA GeForce GTX 1080", 6, 1),
            fake_cuda_device("NVIDIA Tesla K80", 3, 7),
        ),
        arch_list=archs,
    )
    doc = fake_machine(torch, fake_nvml("12.8", ("NVIDIA GeForce GTX 1080", "NVIDIA Tesla K80")))
    found = diagnostic(doc, "arch-unsupported")
    assert found["severity"] == "error"
    assert "NVIDIA GeForce GTX 1080 (cuda:0) has compute capability 6.1" in found["message"]
    assert "NVIDIA Tesla K80 (cuda:1) has compute capability 3.7" in found["message"]
    assert "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120" in found["message"]
    # The newer-than-known fake torch gets no guessed command, and the known releases have no
    # single build for both GPUs: Kepler (3.7) has no code in any of them.
    assert "newer than this product knows" in found["fix"]
    assert "even a correct install cannot use this GPU" in found["fixes"][1]["reason"]
    assert [device["available"] for device in doc["devices"]] == [False, False, True]
    assert doc["recommended"] == "cpu"


def test_fake_torch_rocm(fake_machine: FakeMachine) -> None:
    torch = fake_torch_module(
        hip="6.2",
        cuda_available=True,
        devices=(fake_cuda_device("AMD Instinct MI250X", 9, 0),),
    )
    doc = fake_machine(torch, no_nvml())
    assert codes(doc) == []
    assert doc["cuda"]["devices"][0]["supported"] is None
    assert doc["recommended"] == "cuda:0"
    assert "ROCm/HIP 6.2" in doc["devices"][0]["detail"]


@pytest.mark.parametrize(
    ("arch", "capability", "runs"),
    [
        ("sm_86", 86, True),
        ("sm_86", 89, True),
        ("sm_80", 86, True),
        ("sm_86", 80, False),
        ("sm_80", 90, False),
        ("sm_90a", 90, True),
        ("sm_90a", 100, False),
        ("sm_100f", 103, True),
        ("compute_80", 120, True),
        ("compute_90", 86, False),
        ("sm_80", 87, False),
        ("sm_87", 87, True),
        ("sm_120", 120, True),
        ("gfx90a", 90, False),
    ],
)
def test_arch_compatibility_rule(
    probe: types.ModuleType, arch: str, capability: int, runs: bool
) -> None:
    assert probe._code_runs_on(arch, capability) is runs


def test_fake_torch_mps_available(fake_machine: FakeMachine) -> None:
    torch = fake_torch_module(mps_built=True, mps_available=True)
    doc = fake_machine(
        torch,
        os_name="Darwin",
        machine="arm64",
        macos_version="14.4",
        rosetta=False,
        cpu_model="Apple M1 Max",
    )
    assert codes(doc) == []
    assert device_ids(doc) == ["mps", "cpu"]
    assert doc["devices"][0]["name"] == "Apple M1 Max GPU"
    assert doc["recommended"] == "mps"
    assert doc["mps"] == {"built": True, "available": True, "macos_version": "14.4"}


@pytest.mark.parametrize(
    ("machine", "macos", "rosetta", "expected"),
    [
        ("arm64", "12.1", False, "macOS 12.1 is too old; MPS needs macOS 12.3 or later"),
        ("x86_64", "13.6", True, "running under Rosetta 2"),
        ("x86_64", "13.6", False, "Intel (x86_64) processor, not Apple silicon; on an Intel"),
        ("arm64", "14.4", False, "on this Apple silicon Mac (macOS 14.4)"),
    ],
    ids=["macos-too-old", "rosetta", "intel-mac", "unexplained"],
)
def test_fake_torch_mps_unavailable(
    fake_machine: FakeMachine, machine: str, macos: str, rosetta: bool, expected: str
) -> None:
    torch = fake_torch_module(mps_built=True, mps_available=False)
    doc = fake_machine(
        torch, os_name="Darwin", machine=machine, macos_version=macos, rosetta=rosetta
    )
    found = diagnostic(doc, "mps-unavailable")
    assert found["severity"] == "warning"
    assert expected in found["message"]
    assert codes(doc) == ["mps-unavailable", "cpu-only"]
    assert device_ids(doc) == ["mps", "cpu"]
    assert doc["devices"][0]["available"] is False
    assert doc["recommended"] == "cpu"


def test_fake_torch_noise_is_captured_not_printed(
    fake_machine: FakeMachine, capsys: pytest.CaptureFixture[str]
) -> None:
    torch = fake_torch_module()

    def noisy_threads() -> int:
        print("fake_torch noise on stdout")
        print("fake_torch noise on stderr", file=sys.stderr)
        import warnings

        warnings.warn("fake_torch deprecation", DeprecationWarning, stacklevel=1)
        return 3

    torch.get_num_threads = noisy_threads  # type: ignore[attr-defined]
    doc = fake_machine(torch)
    assert capsys.readouterr() == ("", "")
    assert "fake_torch noise on stdout" in doc["captured_output"]
    assert "fake_torch noise on stderr" in doc["captured_output"]
    assert "DeprecationWarning: fake_torch deprecation" in doc["warnings"]
    assert doc["torch"]["num_threads"] == 3


def test_fake_torch_failures_are_recorded_not_raised(
    fake_machine: FakeMachine, probe: types.ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    torch = fake_torch_module(cuda_build="12.1")

    def broken() -> bool:
        raise RuntimeError("fake_torch: CUDA driver exploded")

    torch.cuda.is_available = broken  # type: ignore[attr-defined]
    doc = fake_machine(torch, fake_nvml())
    assert capsys.readouterr() == ("", "")
    assert {"section": "cuda", "message": "RuntimeError: fake_torch: CUDA driver exploded"} in doc[
        "errors"
    ]
    assert set(doc) == set(probe._default_document())
    assert doc["recommended"] == "cpu"
    strict_json(json.dumps(doc, allow_nan=False))


def test_nvml_failure_is_recorded(probe: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_nvml_reader() -> None:
        raise OSError("fake_nvml: cannot open")

    monkeypatch.setattr(probe, "_read_nvml_pynvml", fake_nvml_reader)
    monkeypatch.setattr(probe, "_read_nvml_ctypes", fake_nvml_reader)
    report = probe._read_nvml()
    assert report["gpus"] is None
    assert report["error"] == "OSError: fake_nvml: cannot open; OSError: fake_nvml: cannot open"


FAKE_NVML_C = r"""
#include <string.h>
typedef struct { unsigned long long total, free, used; } fake_memory;
int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlSystemGetCudaDriverVersion_v2(int *version) { *version = 12040; return 0; }
int nvmlSystemGetDriverVersion(char *text, unsigned size) {
    strncpy(text, "550.54.15", size); return 0;
}
int nvmlDeviceGetCount_v2(unsigned *count) { *count = 2; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void **handle) {
    *handle = (void *)(unsigned long)(index + 1); return 0;
}
int nvmlDeviceGetName(void *handle, char *text, unsigned size) {
    strncpy(text, (unsigned long)handle == 1 ? "NVIDIA Fake A" : "NVIDIA Fake B", size);
    return 0;
}
int nvmlDeviceGetCudaComputeCapability(void *handle, int *major, int *minor) {
    *major = (unsigned long)handle == 1 ? 8 : 6; *minor = (unsigned long)handle == 1 ? 6 : 1;
    return 0;
}
int nvmlDeviceGetMemoryInfo(void *handle, fake_memory *memory) {
    memory->total = (unsigned long long)handle << 30; memory->free = 0; memory->used = 0;
    return 0;
}
"""


@pytest.fixture(scope="module")
def fake_nvml_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fake libnvidia-ml.so.1 with the NVML calls the probe makes (Linux, needs a C compiler)."""
    assert sys.platform.startswith("linux"), "the fake NVML library is a Linux shared object"
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler is needed to build the fake NVML library"
    folder = tmp_path_factory.mktemp("fake-nvml")
    (folder / "fake_nvml.c").write_text(FAKE_NVML_C, encoding="utf-8")
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-o", str(folder / "libnvidia-ml.so.1"), "fake_nvml.c"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder


def test_nvml_read_through_ctypes(fake_nvml_library: Path, python_without_torch: str) -> None:
    env = clean_env(LD_LIBRARY_PATH=str(fake_nvml_library))
    doc = run_probe_script(python_without_torch, env)
    cuda = doc["cuda"]
    assert cuda["nvml_source"] == "libnvidia-ml"
    assert cuda["driver_cuda_version"] == "12.4"
    assert cuda["driver_version"] == "550.54.15"
    assert cuda["nvml_gpu_count"] == 2
    assert cuda["nvml_gpus"] == [
        {"index": 0, "name": "NVIDIA Fake A", "total_memory": 1 << 30, "capability": "8.6"},
        {"index": 1, "name": "NVIDIA Fake B", "total_memory": 2 << 30, "capability": "6.1"},
    ]
    assert cuda["nvidia_gpu_detected"] is True
    # Without torch, the install hint points at a CUDA build the driver can run.
    newest = doc["facts"]["newest_release"]
    assert (
        f"'torch=={newest}.*' --index-url https://download.pytorch.org/whl/cu126"
        in (diagnostic(doc, "torch-missing")["fix"])
    )


def test_real_cpu_torch_with_fake_nvidia_gpu(fake_nvml_library: Path, real_torch: Any) -> None:
    # The dev and CI environments pin the CPU build (torch==2.13.0+cpu).
    assert real_torch.version.cuda is None and real_torch.version.hip is None
    doc = run_probe_script(sys.executable, clean_env(LD_LIBRARY_PATH=str(fake_nvml_library)))
    found = diagnostic(doc, "cpu-only-build")
    assert "NVIDIA Fake A, NVIDIA Fake B" in found["message"]
    # 8.6 and 6.1 on a CUDA 12.4 driver: cu126 of the installed release (2.13).
    assert "'torch==2.13.*' --index-url https://download.pytorch.org/whl/cu126" in found["fix"]
    assert device_ids(doc) == ["cuda:0", "cuda:1", "cpu"]
    assert doc["recommended"] == "cpu"


def test_nvml_version_format(probe: types.ModuleType) -> None:
    assert probe._format_cuda_version(12040) == "12.4"
    assert probe._format_cuda_version(11080) == "11.8"
    assert probe._format_cuda_version(13000) == "13.0"


def test_diagnostic_codes_are_unique_per_document(fake_machine: FakeMachine) -> None:
    torch = fake_torch_module(
        cuda_build="12.8",
        cuda_available=True,
        devices=(fake_cuda_device("Old GPU A", 5, 2), fake_cuda_device("Old GPU B", 5, 2)),
        arch_list=("sm_75",),
    )
    doc = fake_machine(torch, fake_nvml("12.2", ("Old GPU A", "Old GPU B")))
    assert sorted(codes(doc)) == sorted(set(codes(doc)))
    assert codes(doc) == ["driver-old", "arch-unsupported"]


# --------------------------------------------------------------------------- TypeScript mirror


def _ts_interfaces(text: str) -> dict[str, set[str]]:
    interfaces = {}
    for name, body in re.findall(r"export interface (\w+) \{(.*?)\n\}", text, re.S):
        interfaces[name] = set(re.findall(r"^\s+(\w+)\??:", body, re.M))
    return interfaces


def test_typescript_types_mirror_the_document(fake_machine: FakeMachine) -> None:
    torch = fake_torch_module(
        cuda_build="12.1",
        cuda_available=True,
        devices=(fake_cuda_device("NVIDIA GeForce RTX 3090", 8, 6),),
        arch_list=CUDA_12_ARCHS,
    )
    doc = fake_machine(torch, fake_nvml("12.0", ("NVIDIA GeForce RTX 3090",)))
    interfaces = _ts_interfaces(TYPES_PATH.read_text(encoding="utf-8"))
    assert interfaces["IProbeReport"] == set(doc)
    assert interfaces["IProbePython"] == set(doc["python"])
    assert interfaces["IProbeTorch"] == set(doc["torch"])
    assert interfaces["IProbeCuda"] == set(doc["cuda"])
    assert interfaces["IProbeCudaDevice"] == set(doc["cuda"]["devices"][0])
    assert interfaces["IProbeNvmlGpu"] == set(doc["cuda"]["nvml_gpus"][0])
    assert interfaces["IProbeMps"] == set(doc["mps"])
    assert interfaces["IProbeXpu"] == set(doc["xpu"])
    assert interfaces["IProbeCpu"] == set(doc["cpu"])
    assert interfaces["IProbeDevice"] == set(doc["devices"][0])
    assert interfaces["IProbeDiagnostic"] == set(doc["diagnostics"][0])
    assert interfaces["IProbeEnvironment"] == set(doc["environment"])
    assert interfaces["IProbeBackend"] == set(doc["backends"][0])
    assert interfaces["IProbeFacts"] == set(doc["facts"])
    fix_doc = fake_machine(
        fake_torch_module(version="2.13.0+cpu"),
        fake_nvml("12.4", ("NVIDIA GeForce RTX 3090",), capabilities=("8.6",)),
    )
    fixes = [fix for item in doc["diagnostics"] + fix_doc["diagnostics"] for fix in item["fixes"]]
    assert fixes, "the fake machines must produce at least one fix"
    assert all(interfaces["IProbeFix"] == set(fix) for fix in fixes)
    assert all(interfaces["IProbeCommand"] == set(c) for fix in fixes for c in fix["commands"])
    targets = [fix["target"] for fix in fixes if fix["target"]]
    assert targets and all(interfaces["IProbeFixTarget"] == set(t) for t in targets)
    assert interfaces["IProbeError"] == {"section", "message"}


def test_typescript_diagnostic_codes_match_the_probe() -> None:
    python_codes = set(
        re.findall(r'_diagnostic\(\s*"([a-z-]+)"', PROBE_PATH.read_text(encoding="utf-8"))
    ) | set(re.findall(r'_diag\(\s*"([a-z-]+)"', DOCTOR_PATH.read_text(encoding="utf-8")))
    union = re.search(
        r"export type DiagnosticCode =(.*?);", TYPES_PATH.read_text(encoding="utf-8"), re.S
    )
    assert union is not None
    assert set(re.findall(r"'([a-z-]+)'", union.group(1))) == python_codes
    assert "export const PROBE_SCHEMA_VERSION = 1" in TYPES_PATH.read_text(encoding="utf-8")
