"""Fixtures for the kernel-probe tests: the probe loaded by file path, and fake torch/NVML.

Everything named ``fake_*`` stands in for hardware or a torch build this machine lacks.
"""

from __future__ import annotations

import importlib.util
import sys
import types
import warnings
from pathlib import Path
from typing import Any, Callable

import pytest

from jupyterlab_device_bench.contract import kernel_source

PROBE_PATH = Path(__file__).resolve().parents[1] / "probe.py"
DOCTOR_PATH = Path(__file__).resolve().parents[1] / "doctor.py"
FACTS_PATH = Path(__file__).resolve().parents[1] / "install_facts.json"
TYPES_PATH = Path(__file__).resolve().parents[2] / "src" / "kernel" / "types.ts"
# The real MNIST test split beside the repository (CI clones with ../shared beside it).
MNIST_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


@pytest.fixture
def mnist_data() -> Path:
    """The shared MNIST test split; a test that needs it fails (never skips) without it."""
    found = (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file()
    assert found, f"MNIST test split not in {MNIST_DIR}"
    return MNIST_DIR


def probe_expression(source: str) -> str:
    """The user_expressions entry exactly as the extension builds it, SRC = repr(source) with
    the reason table written in (as the extension's build does)."""
    return (
        "(lambda g: (__import__('builtins').exec("
        + repr(kernel_source(source))
        + ", g), g['device_bench_probe_b64']())[1])({'__name__': '__device_bench_probe__'})"
    )


def doctor_probe_expression(source: str, doctor_source: str, facts_json: str) -> str:
    """The expression the extension sends: the probe, given the doctor and facts as literals
    (repr() here, JSON.stringify() in src/kernel/service.ts; both are Python string literals)."""
    return (
        "(lambda g: (__import__('builtins').exec("
        + repr(kernel_source(source))
        + ", g), g['device_bench_probe_b64']("
        + repr(kernel_source(doctor_source))
        + ", "
        + repr(facts_json)
        + "))[1])({'__name__': '__device_bench_probe__'})"
    )


@pytest.fixture
def probe_source() -> str:
    return PROBE_PATH.read_text(encoding="utf-8")


@pytest.fixture
def probe() -> types.ModuleType:
    """A fresh copy of probe.py as a module (not registered in sys.modules)."""
    spec = importlib.util.spec_from_file_location("device_bench_probe_under_test", PROBE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_cuda_device(
    name: str, major: int, minor: int, total_memory: int = 8 << 30, multiprocessors: int = 40
) -> types.SimpleNamespace:
    """What torch.cuda.get_device_properties() returns, for a GPU this machine does not have."""
    return types.SimpleNamespace(
        name=name,
        major=major,
        minor=minor,
        total_memory=total_memory,
        multi_processor_count=multiprocessors,
    )


def fake_torch_module(
    *,
    version: str = "2.99.0+fake",
    cuda_build: str | None = None,
    hip: str | None = None,
    cuda_available: bool = False,
    devices: tuple[types.SimpleNamespace, ...] = (),
    arch_list: tuple[str, ...] = (),
    mps_built: bool = False,
    mps_available: bool = False,
    num_threads: int = 4,
    init_warning: str | None = None,
) -> types.ModuleType:
    """A stand-in ``torch`` module exposing only the APIs the probe reads.

    ``torch.cuda.calls`` records which CUDA functions the probe called, so tests can check
    that nothing initialises CUDA beyond what the probe promises.
    """
    calls: list[str] = []

    def is_available() -> bool:
        calls.append("is_available")
        if init_warning:
            warnings.warn(init_warning, UserWarning, stacklevel=2)
        return cuda_available

    def device_count() -> int:
        calls.append("device_count")
        return len(devices) if cuda_available else 0

    def get_device_properties(index: int) -> types.SimpleNamespace:
        calls.append("get_device_properties")
        assert cuda_available, "the probe must not ask for properties when CUDA is unavailable"
        return devices[index]

    def init() -> None:
        calls.append("init")

    torch = types.ModuleType("torch")
    torch.__version__ = version  # type: ignore[attr-defined]
    torch.version = types.SimpleNamespace(cuda=cuda_build, hip=hip)  # type: ignore[attr-defined]
    torch.cuda = types.SimpleNamespace(  # type: ignore[attr-defined]
        calls=calls,
        is_available=is_available,
        device_count=device_count,
        get_device_properties=get_device_properties,
        get_arch_list=lambda: list(arch_list) if cuda_build else [],
        init=init,
    )
    torch.backends = types.SimpleNamespace(  # type: ignore[attr-defined]
        cudnn=types.SimpleNamespace(
            is_available=lambda: cuda_build is not None,
            version=lambda: 90100 if cuda_build else None,
        ),
        mps=types.SimpleNamespace(is_built=lambda: mps_built, is_available=lambda: mps_available),
    )
    torch.get_num_threads = lambda: num_threads  # type: ignore[attr-defined]
    return torch


def fake_nvml(
    driver_cuda_version: str | None = "12.4",
    gpus: tuple[str, ...] = ("NVIDIA Fake GPU",),
    *,
    driver_version: str = "550.00",
    capabilities: tuple[str | None, ...] = (),
) -> dict[str, Any]:
    """What the probe's NVML reader returns on a machine with an NVIDIA driver.

    ``capabilities``: each GPU's compute capability ("8.6"), None where NVML does not say."""
    return {
        "source": "fake",
        "driver_cuda_version": driver_cuda_version,
        "driver_version": driver_version,
        "gpus": [
            {
                "index": index,
                "name": name,
                "total_memory": 8 << 30,
                "capability": capabilities[index] if index < len(capabilities) else None,
            }
            for index, name in enumerate(gpus)
        ],
        "error": None,
    }


def no_nvml() -> dict[str, Any]:
    """What the probe's NVML reader returns without an NVIDIA driver."""
    return {
        "source": None,
        "driver_cuda_version": None,
        "driver_version": None,
        "gpus": None,
        "error": None,
    }


@pytest.fixture
def fake_machine(
    monkeypatch: pytest.MonkeyPatch, probe: types.ModuleType
) -> Callable[..., dict[str, Any]]:
    """Run ``device_bench_probe()`` against a fake torch, fake NVML and a fake host.

    Returns a function taking the fake torch module plus host facts, returning the document.
    """

    def run(
        torch: types.ModuleType,
        nvml: dict[str, Any] | None = None,
        *,
        driver_files: bool = False,
        os_name: str = "Linux",
        machine: str = "x86_64",
        macos_version: str | None = None,
        rosetta: bool | None = None,
        cpu_model: str = "Fake CPU",
    ) -> dict[str, Any]:
        real_python_info = probe._python_info
        monkeypatch.setitem(sys.modules, "torch", torch)
        monkeypatch.setattr(probe, "_read_nvml", lambda: nvml or no_nvml())
        monkeypatch.setattr(probe, "_nvidia_driver_present", lambda: driver_files)
        monkeypatch.setattr(
            probe,
            "_python_info",
            lambda: {**real_python_info(), "os": os_name, "machine": machine, "rosetta": rosetta},
        )
        monkeypatch.setattr(probe, "_macos_version", lambda: macos_version)
        monkeypatch.setattr(probe, "_cpu_model", lambda: cpu_model)
        return probe.device_bench_probe()

    return run


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """Kernels started by nbclient or the headless runner run this Python (see
    nbutil.write_kernelspec), with Jupyter's files in a temp folder."""
    spec = importlib.util.spec_from_file_location("nbutil", Path(__file__).with_name("nbutil.py"))
    nbutil = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nbutil)
    base = tmp_path_factory.mktemp("jupyter")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in nbutil.isolated_jupyter_env(base).items():
            mp.setenv(name, value)
        mp.setenv("OMP_NUM_THREADS", "1")  # 2 shared cores: keep the kernel's torch to one
        mp.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        yield base
