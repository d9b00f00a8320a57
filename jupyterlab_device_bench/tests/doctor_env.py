"""A fake environment for the install doctor's tests: the real probe.py and doctor.py run
against fake_torch_module, fake_nvml and a fake host (OS, Python, installer, macOS)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from .conftest import fake_cuda_device, fake_nvml, fake_torch_module, no_nvml

POSIX_PYTHON = "/opt/fake env/bin/python"
WINDOWS_PYTHON = "C:\\Users\\fake\\envs\\torch\\python.exe"

# arch lists the fake CUDA builds report (sm_XY), per CUDA variant
ARCHS = {
    "12.6": ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"),
    "13.0": ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120", "compute_120"),
}


def fake_environment(
    *,
    kind: str = "venv",
    installer: str | None = "pip",
    variant: str | None = None,
    version: str | None = None,
    torchvision: str | None = None,
    torchaudio: str | None = None,
    prefix: str = "/opt/fake env",
) -> dict[str, Any]:
    return {
        "env_kind": kind,
        "prefix": prefix,
        "pixi_project": prefix.split("/.pixi")[0] + "/pixi.toml" if kind == "pixi" else None,
        "torch_installer": installer if version else None,
        "torch_installer_raw": installer if version else None,
        "torch_dist_version": version,
        "torch_variant": variant,
        "torchvision": torchvision,
        "torchaudio": torchaudio,
    }


def run_fake(
    probe: types.ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    *,
    os_name: str = "Linux",
    machine: str = "x86_64",
    python: str = "3.11.7",
    torch: str | None = "2.13.0+cpu",
    cuda_build: str | None = None,
    cuda_available: bool = False,
    gpus: tuple[tuple[str, str | None], ...] = (),
    driver: str = "580.65.06",
    driver_cuda: str | None = "13.0",
    macos: str | None = None,
    rosetta: bool | None = None,
    mps_built: bool = False,
    mps_available: bool = False,
    env_kind: str = "venv",
    installer: str = "pip",
    torchvision: str | None = None,
    torchaudio: str | None = None,
    executable: str | None = None,
) -> dict[str, Any]:
    """The probe document of a fake machine, doctor advice included."""
    exe = executable or (WINDOWS_PYTHON if os_name == "Windows" else POSIX_PYTHON)
    if torch is None:
        monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ModuleNotFoundError
    else:
        devices = tuple(fake_cuda_device(n, *map(int, c.split("."))) for n, c in gpus if c)
        arch = ARCHS.get(cuda_build or "", ("sm_75", "sm_80", "sm_86", "sm_90"))
        monkeypatch.setitem(
            sys.modules,
            "torch",
            fake_torch_module(
                version=torch,
                cuda_build=cuda_build,
                cuda_available=cuda_available,
                devices=devices if cuda_available else (),
                arch_list=arch,
                mps_built=mps_built,
                mps_available=mps_available,
            ),
        )
    nvml = (
        fake_nvml(
            driver_cuda,
            tuple(name for name, _ in gpus),
            driver_version=driver,
            capabilities=tuple(cap for _, cap in gpus),
        )
        if gpus
        else no_nvml()
    )
    variant = probe._torch_variant(torch, cuda_build, None) if torch else None
    if torch and os_name == "Darwin" and "+" not in torch:
        variant = "default"
    monkeypatch.setattr(probe, "_read_nvml", lambda: nvml)
    monkeypatch.setattr(probe, "_nvidia_driver_present", lambda: bool(gpus))
    monkeypatch.setattr(
        probe,
        "_python_info",
        lambda: {
            "version": python,
            "implementation": "CPython",
            "executable": exe,
            "os": os_name,
            "os_release": "fake",
            "machine": machine,
            "rosetta": rosetta,
        },
    )
    monkeypatch.setattr(
        probe,
        "_environment_info",
        lambda torch_doc: fake_environment(
            kind=env_kind,
            installer=installer,
            variant=variant,
            version=torch,
            torchvision=torchvision,
            torchaudio=torchaudio,
            prefix="C:\\Users\\fake\\envs\\torch" if os_name == "Windows" else "/opt/fake env",
        ),
    )
    monkeypatch.setattr(probe, "_macos_version", lambda: macos)
    monkeypatch.setattr(probe, "_cpu_model", lambda: "Fake CPU")
    return probe.device_bench_probe()
