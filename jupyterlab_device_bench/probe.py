"""Device probe for jupyterlab-device-bench: runs inside the user's Jupyter kernel.

The extension embeds this file's text and evaluates it through ``user_expressions``::

    (lambda g: (__import__('builtins').exec(SRC, g), g['device_bench_probe_b64']())[1])(
        {'__name__': '__device_bench_probe__'})

so this module must stay self-contained: Python 3.8+ standard library only at top level,
torch imported lazily and guarded, nothing printed, nothing raised out of
``device_bench_probe()`` and nothing written to the user's namespace. Running
``python probe.py`` prints the same JSON document, pretty-printed.

The document layout is described in docs/probe.md and typed in src/kernel/types.ts.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # aliases for annotations only: builtin generics fail at run time on 3.8
    Doc = dict[str, Any]
    Errors = list[dict[str, str]]

SCHEMA_VERSION = 1

# CUDA_VISIBLE_DEVICES values that hide every GPU from the CUDA runtime.
_HIDING_VISIBLE_DEVICES = ("", "-1", "nodevfiles")
# Jetson-style integrated GPUs: their code runs only on themselves, and code built for
# discrete GPUs of the same major version does not run on them (rule used by torch.cuda).
_IGPU_CAPABILITIES = (53, 62, 72, 87, 101)
_MIN_MPS_MACOS = (12, 3)
_PYTORCH_SELECTOR = "https://pytorch.org/get-started/locally/"

# contract.json's ``reason_texts`` (code -> args and English wording) for the backend rows.
# The extension's build writes the table into the line below for the kernel
# (scripts/embed-python.mjs, and contract.kernel_source() for the package's own kernels);
# run from the package, the table is read from contract.json beside this file.
REASON_TEXTS_JSON = None  # embedded: contract.json reason_texts
_REASON_TABLE: Doc = {}
_MAX_CAPTURED_CHARS = 2000


# --------------------------------------------------------------------------- helpers


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _note_error(errors: Errors, section: str, exc: BaseException) -> None:
    errors.append({"section": section, "message": _error_text(exc)})


def _maybe(fn: Callable[[], Any], default: Any = None) -> Any:
    """Call an optional torch API; old or partial builds may lack it, which is not an error."""
    try:
        return fn()
    except Exception:
        return default


def _version_tuple(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    parts = str(text).split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None


def _run_text(cmd: list[str]) -> str | None:
    """Output of a short-lived helper command, or None; never inherits the kernel's streams."""
    try:
        done = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=2,
            check=False,
        )
    except Exception:
        return None
    text = done.stdout.decode("utf-8", "replace").strip()
    return text if done.returncode == 0 and text else None


def _is_macos() -> bool:
    return sys.platform == "darwin"


def _macos_version() -> str | None:
    if not _is_macos():
        return None
    return platform.mac_ver()[0] or None


def _is_rosetta() -> bool | None:
    """True when this (x86_64) Python runs translated on Apple silicon; None off macOS."""
    if not _is_macos():
        return None
    return _run_text(["sysctl", "-n", "sysctl.proc_translated"]) == "1"


# --------------------------------------------------------------------------- python


def _python_info() -> Doc:
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "os": platform.system(),
        "os_release": platform.release(),
        "machine": platform.machine(),
        "rosetta": _is_rosetta(),
    }


# --------------------------------------------------------------------------- environment


def _distribution(name: str) -> Any:
    """importlib.metadata's distribution (reads dist-info files, imports nothing); or None."""
    try:
        from importlib import metadata
    except ImportError:
        return None
    try:
        return metadata.distribution(name)
    except Exception:
        return None


def _dist_version(name: str) -> str | None:
    dist = _distribution(name)
    return _maybe(lambda: str(dist.version)) if dist is not None else None


def _prefix_parts(prefix: str) -> list[str]:
    return [part for part in os.path.normpath(prefix).replace("\\", "/").split("/") if part]


def _env_kind(prefix: str) -> str:
    if ".pixi" in _prefix_parts(prefix):
        return "pixi"
    if os.path.isdir(os.path.join(prefix, "conda-meta")):
        return "conda"
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        return "system"
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as handle:
            if any(line.split("=")[0].strip() == "uv" for line in handle):
                return "uv-venv"
    except OSError:
        pass
    return "venv"


def _pixi_project(prefix: str) -> str | None:
    parts = os.path.normpath(prefix).split(os.sep)
    if ".pixi" not in parts:
        return None
    project = os.sep.join(parts[: parts.index(".pixi")]) or os.sep
    for manifest in ("pixi.toml", "pyproject.toml"):
        if os.path.isfile(os.path.join(project, manifest)):
            return os.path.join(project, manifest)
    return None


def _conda_has_pytorch(prefix: str) -> bool:
    try:
        names = os.listdir(os.path.join(prefix, "conda-meta"))
    except OSError:
        return False
    return any(name.startswith("pytorch-") and name.endswith(".json") for name in names)


def _torch_installer(raw: str | None, kind: str, conda_package: bool) -> str | None:
    text = (raw or "").strip().lower()
    if "pixi" in text or (conda_package and kind == "pixi"):
        return "pixi"
    if text in ("conda", "mamba", "micromamba") or conda_package:
        return "conda"
    if text.startswith("uv"):
        return "uv"
    if text == "pip":
        return "pip"
    return "other" if text else None


def _torch_variant(version: str | None, cuda: str | None, hip: str | None) -> str | None:
    """cpu, cu126, rocm7.2, xpu ... from the version's local label, else from the build."""
    if not version:
        return None
    _, _, local = version.partition("+")
    if local:
        return local
    if hip:
        parts = str(hip).split(".")
        return f"rocm{parts[0]}.{parts[1]}" if len(parts) > 1 else f"rocm{parts[0]}"
    if cuda:
        parts = str(cuda).split(".")
        return f"cu{parts[0]}{parts[1] if len(parts) > 1 else '0'}"
    return "default" if _is_macos() else "cpu"


def _environment_info(torch_doc: Doc) -> Doc:
    prefix = sys.prefix
    kind = _env_kind(prefix)
    dist = _distribution("torch")
    raw = _maybe(lambda: dist.read_text("INSTALLER")) if dist is not None else None
    conda_package = kind in ("conda", "pixi") and _conda_has_pytorch(prefix)
    installer = _torch_installer(raw, kind, conda_package) if dist or conda_package else None
    version = torch_doc["version"] or (_maybe(lambda: str(dist.version)) if dist else None)
    return {
        "env_kind": kind,
        "prefix": prefix,
        "pixi_project": _pixi_project(prefix) if kind == "pixi" else None,
        "torch_installer": installer,
        "torch_installer_raw": raw.strip() if raw else None,
        "torch_dist_version": version,
        "torch_variant": _torch_variant(version, torch_doc["cuda_build"], torch_doc["hip"]),
        "torchvision": _dist_version("torchvision"),
        "torchaudio": _dist_version("torchaudio"),
    }


# --------------------------------------------------------------------------- torch


def _default_torch() -> Doc:
    return {
        "installed": False,
        "import_error": None,
        "import_error_type": None,
        "version": None,
        "cuda_build": None,
        "hip": None,
        "cudnn": None,
        "mps_built": False,
        "mps_available": False,
        "xpu_available": False,
        "arch_list": [],
        "num_threads": None,
    }


def _import_torch() -> tuple[Any, str | None, str | None]:
    """Return (module, error message, error kind) where kind is 'missing' or 'failed'."""
    try:
        import torch  # lazy: the kernel may not have torch
    except ModuleNotFoundError as exc:
        kind = "missing" if exc.name == "torch" else "failed"
        return None, _error_text(exc), kind
    except Exception as exc:
        return None, _error_text(exc), "failed"
    return torch, None, None


def _torch_info(torch: Any, import_error: str | None, error_kind: str | None) -> Doc:
    info = _default_torch()
    info["import_error"] = import_error
    info["import_error_type"] = error_kind
    if torch is None:
        return info
    cuda_build = _maybe(lambda: torch.version.cuda)
    info.update(
        installed=True,
        version=str(_maybe(lambda: torch.__version__, "")) or None,
        cuda_build=cuda_build,
        hip=_maybe(lambda: torch.version.hip),
        cudnn=_cudnn_version(torch),
        mps_built=bool(_maybe(lambda: torch.backends.mps.is_built(), False)),
        mps_available=bool(_maybe(lambda: torch.backends.mps.is_available(), False)),
        xpu_available=bool(_maybe(lambda: torch.xpu.is_available(), False)),
        # get_arch_list() reads compile-time flags; it does not create a CUDA context.
        arch_list=list(_maybe(lambda: torch.cuda.get_arch_list(), []) or []) if cuda_build else [],
        num_threads=_maybe(lambda: int(torch.get_num_threads())),
    )
    return info


def _cudnn_version(torch: Any) -> int | None:
    # is_available() is a compile-time flag; only then ask for the version (loads the library).
    if not _maybe(lambda: torch.backends.cudnn.is_available(), False):
        return None
    version = _maybe(lambda: torch.backends.cudnn.version())
    return int(version) if version is not None else None


# --------------------------------------------------------------------------- NVML


def _default_nvml() -> Doc:
    return {
        "source": None,
        "driver_cuda_version": None,
        "driver_version": None,
        "gpus": None,
        "error": None,
    }


def _format_cuda_version(value: int) -> str:
    """NVML encodes CUDA 12.4 as 12040."""
    return f"{value // 1000}.{(value % 1000) // 10}"


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _read_nvml_pynvml() -> Doc | None:
    """Query NVML through pynvml (nvidia-ml-py) if importable; None when it is not installed."""
    with warnings.catch_warnings():
        # The legacy "pynvml" distribution warns about its own deprecation on import.
        warnings.simplefilter("ignore")
        try:
            import pynvml  # optional (nvidia-ml-py)
        except ImportError:
            return None
    pynvml.nvmlInit()
    try:
        info = _default_nvml()
        info["source"] = "pynvml"
        info["driver_cuda_version"] = _format_cuda_version(
            int(pynvml.nvmlSystemGetCudaDriverVersion())
        )
        info["driver_version"] = _text(pynvml.nvmlSystemGetDriverVersion())
        gpus = []
        for index in range(int(pynvml.nvmlDeviceGetCount())):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            capability = _maybe(lambda h=handle: pynvml.nvmlDeviceGetCudaComputeCapability(h))
            gpus.append(
                {
                    "index": index,
                    "name": _text(pynvml.nvmlDeviceGetName(handle)),
                    "total_memory": int(pynvml.nvmlDeviceGetMemoryInfo(handle).total),
                    "capability": f"{capability[0]}.{capability[1]}" if capability else None,
                }
            )
        info["gpus"] = gpus
        return info
    finally:
        pynvml.nvmlShutdown()


def _nvml_library_names() -> list[str]:
    if os.name == "nt":
        program_files = os.environ.get("ProgramFiles", "C:\\Program Files")
        return ["nvml.dll", os.path.join(program_files, "NVIDIA Corporation", "NVSMI", "nvml.dll")]
    return ["libnvidia-ml.so.1", "libnvidia-ml.so"]


def _read_nvml_ctypes() -> Doc | None:
    """Query NVML directly via ctypes; None when the library is absent (no NVIDIA driver)."""
    if _is_macos():
        return None
    import ctypes  # lazy: some minimal Pythons lack _ctypes

    lib = None
    for name in _nvml_library_names():
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        return None

    class Memory(ctypes.Structure):
        _fields_ = [
            ("total", ctypes.c_ulonglong),
            ("free", ctypes.c_ulonglong),
            ("used", ctypes.c_ulonglong),
        ]

    status = lib.nvmlInit_v2()
    if status != 0:
        raise RuntimeError(f"nvmlInit_v2 returned NVML error {status}")
    try:
        info = _default_nvml()
        info["source"] = "libnvidia-ml"
        version = ctypes.c_int()
        get_cuda = (
            getattr(lib, "nvmlSystemGetCudaDriverVersion_v2", None)
            or lib.nvmlSystemGetCudaDriverVersion
        )
        if get_cuda(ctypes.byref(version)) == 0:
            info["driver_cuda_version"] = _format_cuda_version(version.value)
        buffer = ctypes.create_string_buffer(96)
        if lib.nvmlSystemGetDriverVersion(buffer, ctypes.c_uint(96)) == 0:
            info["driver_version"] = _text(buffer.value)
        count = ctypes.c_uint()
        if lib.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
            return info
        gpus = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if lib.nvmlDeviceGetHandleByIndex_v2(ctypes.c_uint(index), ctypes.byref(handle)) != 0:
                continue
            name = _text(buffer.value) if lib.nvmlDeviceGetName(handle, buffer, 96) == 0 else None
            memory = Memory()
            has_memory = lib.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory)) == 0
            gpus.append(
                {
                    "index": index,
                    "name": name or f"NVIDIA GPU {index}",
                    "total_memory": int(memory.total) if has_memory else None,
                    "capability": _ctypes_capability(lib, handle),
                }
            )
        info["gpus"] = gpus
        return info
    finally:
        lib.nvmlShutdown()


def _ctypes_capability(lib: Any, handle: Any) -> str | None:
    """nvmlDeviceGetCudaComputeCapability (NVML, no CUDA context); None on old drivers."""
    import ctypes

    function = getattr(lib, "nvmlDeviceGetCudaComputeCapability", None)
    if function is None:
        return None
    major, minor = ctypes.c_int(), ctypes.c_int()
    if function(handle, ctypes.byref(major), ctypes.byref(minor)) != 0:
        return None
    return f"{major.value}.{minor.value}"


def _read_nvml() -> Doc:
    """Driver facts from NVML. NVML never creates a CUDA context and ignores
    CUDA_VISIBLE_DEVICES, so it sees every NVIDIA GPU whatever torch was built for."""
    problems = []
    for reader in (_read_nvml_pynvml, _read_nvml_ctypes):
        try:
            info = reader()
        except Exception as exc:
            problems.append(_error_text(exc))
            continue
        if info is not None:
            return info
    info = _default_nvml()
    info["error"] = "; ".join(problems) or None
    return info


def _nvidia_driver_present() -> bool:
    """Cheap evidence of an NVIDIA driver when NVML itself could not be queried."""
    return os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None


# --------------------------------------------------------------------------- CUDA


def _code_runs_on(arch: str, device_cc: int) -> bool:
    """Whether one arch_list entry (sm_86, sm_90a, compute_80, ...) can run on a device."""
    kind, _, number = arch.partition("_")
    suffix = number[-1:] if number[-1:].isalpha() else ""
    try:
        code_cc = int(number[: len(number) - len(suffix)])
    except ValueError:
        return False
    if suffix == "a":  # architecture-specific code runs only on that exact architecture
        return device_cc == code_cc
    if kind == "compute":  # PTX is JIT-compiled for any newer device
        return device_cc >= code_cc
    if kind != "sm":
        return False
    if device_cc in _IGPU_CAPABILITIES or code_cc in _IGPU_CAPABILITIES:
        return device_cc == code_cc
    # Binary code runs on later minor versions of the same major architecture.
    return device_cc // 10 == code_cc // 10 and device_cc >= code_cc


def _arch_supported(major: int, minor: int, arch_list: list[str]) -> bool:
    device_cc = major * 10 + minor
    return any(_code_runs_on(arch, device_cc) for arch in arch_list)


def _cuda_device(torch: Any, index: int, arch_list: list[str], is_nvidia: bool) -> Doc:
    # get_device_properties() initialises torch's CUDA runtime state lazily (the same thing
    # the user's first .to("cuda") does) but allocates no tensors and no memory on the GPU.
    props = torch.cuda.get_device_properties(index)
    major, minor = int(props.major), int(props.minor)
    supported = _arch_supported(major, minor, arch_list) if is_nvidia and arch_list else None
    return {
        "index": index,
        "name": str(props.name),
        "total_memory": int(props.total_memory),
        "capability": f"{major}.{minor}",
        "major": major,
        "minor": minor,
        "multiprocessors": _maybe(lambda: int(props.multi_processor_count)),
        "supported": supported,
    }


def _torch_cuda_state(torch: Any) -> tuple[bool, str | None]:
    """torch.cuda.is_available(), plus the warning torch raises when CUDA init fails."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        available = bool(torch.cuda.is_available())
    messages = [str(item.message).strip() for item in caught]
    return available, (messages[0] if messages else None)


def _cuda_info(torch: Any, torch_doc: Doc, nvml: Doc, errors: Errors) -> Doc:
    gpus = nvml["gpus"]
    info = _default_document()["cuda"]
    info.update(
        visible_devices_env=os.environ.get("CUDA_VISIBLE_DEVICES"),
        driver_cuda_version=nvml["driver_cuda_version"],
        driver_version=nvml["driver_version"],
        nvml_source=nvml["source"],
        nvml_error=nvml["error"],
        nvml_gpu_count=len(gpus) if gpus is not None else None,
        nvml_gpus=gpus or [],
        nvidia_gpu_detected=bool(gpus) or (gpus is None and _nvidia_driver_present()),
    )
    if torch is None:
        return info
    available, init_warning = _torch_cuda_state(torch)
    info["available"] = available
    info["init_warning"] = init_warning
    if not available:
        return info
    info["device_count"] = int(torch.cuda.device_count())
    is_nvidia = bool(torch_doc["cuda_build"]) and not torch_doc["hip"]
    for index in range(info["device_count"]):
        try:
            info["devices"].append(_cuda_device(torch, index, torch_doc["arch_list"], is_nvidia))
        except Exception as exc:
            _note_error(errors, f"cuda.devices[{index}]", exc)
    return info


# --------------------------------------------------------------------------- MPS / XPU


def _mps_info(torch_doc: Doc) -> Doc:
    return {
        "built": torch_doc["mps_built"],
        "available": torch_doc["mps_available"],
        "macos_version": _macos_version(),
    }


def _xpu_info(torch: Any, torch_doc: Doc, errors: Errors) -> Doc:
    info = _default_document()["xpu"]
    info["available"] = torch_doc["xpu_available"]
    if torch is None or not info["available"]:
        return info
    info["device_count"] = int(torch.xpu.device_count())
    for index in range(info["device_count"]):
        try:
            info["devices"].append(_xpu_device(torch, index))
        except Exception as exc:
            _note_error(errors, f"xpu.devices[{index}]", exc)
    return info


def _xpu_device(torch: Any, index: int) -> Doc:
    props = torch.xpu.get_device_properties(index)
    return {
        "index": index,
        "name": str(props.name),
        "total_memory": _maybe(lambda: int(props.total_memory)),
    }


# --------------------------------------------------------------------------- CPU


def _cpu_model() -> str | None:
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    key, _, value = line.partition(":")
                    if key.strip() == "model name" and value.strip():
                        return value.strip()
        except OSError:
            pass
    elif _is_macos():
        brand = _run_text(["sysctl", "-n", "machdep.cpu.brand_string"])
        if brand:
            return brand
    elif os.name == "nt":
        brand = _windows_cpu_brand()
        if brand:
            return brand
    return platform.processor() or None


def _windows_cpu_brand() -> str | None:
    try:
        import winreg  # Windows only

        key = winreg.OpenKey(
            winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
        )
        with key:
            return str(winreg.QueryValueEx(key, "ProcessorNameString")[0]).strip() or None
    except Exception:
        return None


def _system_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _cpu_info(torch_doc: Doc) -> Doc:
    return {
        "model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "torch_threads": torch_doc["num_threads"],
        "total_memory": _system_memory(),
    }


# --------------------------------------------------------------------------- device list


def _device(
    id_: str, kind: str, name: str, available: bool, memory: int | None, detail: str
) -> Doc:
    return {
        "id": id_,
        "kind": kind,
        "name": name,
        "available": available,
        "total_memory": memory,
        "detail": detail,
    }


def _cuda_entries(doc: Doc) -> list[Doc]:
    cuda, torch_doc = doc["cuda"], doc["torch"]
    entries = []
    for dev in cuda["devices"]:
        capability = dev["capability"]
        detail = f"compute capability {capability}"
        if dev["multiprocessors"]:
            detail += f", {dev['multiprocessors']} multiprocessors"
        if torch_doc["hip"]:
            detail += f", ROCm/HIP {torch_doc['hip']}"
        usable = dev["supported"] is not False
        if not usable:
            detail = (
                f"not usable: this torch build has no kernels for compute capability {capability}"
            )
        entries.append(
            _device(
                f"cuda:{dev['index']}", "cuda", dev["name"], usable, dev["total_memory"], detail
            )
        )
    if cuda["available"]:
        return entries
    # torch cannot use CUDA, but NVML still sees the GPUs: show them greyed out.
    reason = (
        "this torch build has no CUDA support"
        if not torch_doc["cuda_build"]
        else "CUDA is not available to torch"
    )
    for gpu in cuda["nvml_gpus"]:
        entries.append(
            _device(
                f"cuda:{gpu['index']}",
                "cuda",
                gpu["name"],
                False,
                gpu["total_memory"],
                f"not usable: {reason}",
            )
        )
    return entries


def _mps_entry(doc: Doc) -> Doc | None:
    mps = doc["mps"]
    if not (mps["built"] or doc["python"]["os"] == "Darwin"):
        return None
    model = doc["cpu"]["model"] or ""
    name = f"{model} GPU" if model.startswith("Apple") else "Metal GPU (MPS)"
    if mps["available"]:
        detail = f"Metal Performance Shaders, macOS {mps['macos_version'] or '?'}"
    elif not mps["built"]:
        detail = "not usable: this torch build has no MPS support"
    else:
        detail = "not usable: MPS is not available (see diagnostics)"
    return _device("mps", "mps", name, bool(mps["available"]), None, detail)


def _device_list(doc: Doc) -> list[Doc]:
    if not doc["torch"]["installed"]:
        return []
    entries = _cuda_entries(doc)
    mps = _mps_entry(doc)
    if mps is not None:
        entries.append(mps)
    for dev in doc["xpu"]["devices"]:
        entries.append(
            _device(
                f"xpu:{dev['index']}", "xpu", dev["name"], True, dev["total_memory"], "Intel GPU"
            )
        )
    cpu = doc["cpu"]
    detail = f"{cpu['logical_cores'] or '?'} logical cores"
    if cpu["torch_threads"]:
        detail += f", torch uses {cpu['torch_threads']} threads"
    entries.append(_device("cpu", "cpu", cpu["model"] or "CPU", True, cpu["total_memory"], detail))
    return entries


def _recommended(devices: list[Doc]) -> str | None:
    return next((dev["id"] for dev in devices if dev["available"]), None)


# --------------------------------------------------------------------------- diagnostics


def _diagnostic(
    code: str, severity: str, message: str, fix: str | None, row: Doc | None = None
) -> Doc:
    # ``fixes`` (structured commands) are filled by the install doctor (doctor.py); ``row``:
    # the backend row's reason for this finding ({code, args, text}), or None.
    return {
        "code": code,
        "severity": severity,
        "message": message,
        "fix": fix,
        "fixes": [],
        "row": row,
    }


def _pip(doc: Doc, args: str) -> str:
    return f'"{doc["python"]["executable"]}" -m pip {args}'


def _cuda_index_hint(doc: Doc) -> str:
    # The install doctor replaces this with exact commands; this text must stay true without it.
    driver = doc["cuda"]["driver_cuda_version"]
    limit = (
        f"one your driver can run (it supports CUDA {driver}; any CUDA {driver.split('.')[0]}.x "
        "build runs on it through minor-version compatibility)"
        if driver
        else "one your NVIDIA driver can run"
    )
    return f"choose the CUDA variant on {_PYTORCH_SELECTOR}: {limit}"


def _torch_import_diagnostics(doc: Doc) -> list[Doc]:
    torch_doc, exe = doc["torch"], doc["python"]["executable"]
    if torch_doc["import_error_type"] == "missing":
        fix = (
            f"Install it into this kernel's environment: {_pip(doc, 'install torch')} (or run "
            "%pip install torch in a notebook cell; in a conda environment, "
            "conda install -c conda-forge pytorch also works), then restart the kernel."
        )
        if doc["cuda"]["nvidia_gpu_detected"]:
            fix += f" For an NVIDIA GPU, {_cuda_index_hint(doc)}."
        message = (
            "PyTorch (torch) is not installed in the Python environment this kernel runs: "
            f"{exe}. If you installed it already, it went into a different environment."
        )
        return [_diagnostic("torch-missing", "error", message, fix)]
    message = f"torch is installed for {exe} but importing it failed: {torch_doc['import_error']}"
    fix = (
        "This is usually a broken install or an incompatible dependency such as numpy. "
        f"Reinstall it with {_pip(doc, 'install --force-reinstall torch')}, then restart the "
        "kernel."
    )
    return [_diagnostic("torch-import-failed", "error", message, fix)]


def _cpu_only_build_diagnostic(doc: Doc) -> Doc:
    gpus = doc["cuda"]["nvml_gpus"]
    names = ", ".join(gpu["name"] for gpu in gpus)
    seen = f"an NVIDIA GPU ({names})" if gpus else "an NVIDIA driver"
    message = (
        f"The installed torch {doc['torch']['version']} is a CPU-only build (torch.version.cuda "
        f"is None), but this machine has {seen}, so the GPU cannot be used."
    )
    install = _pip(doc, "install torch --index-url https://download.pytorch.org/whl/cuXYZ")
    fix = (
        f"Replace it with a CUDA build: {_pip(doc, 'uninstall -y torch')} and then {install} "
        f"where cuXYZ is the CUDA variant; {_cuda_index_hint(doc)}. Restart the kernel afterwards."
    )
    return _diagnostic("cpu-only-build", "error", message, fix)


def _visible_devices_hide_all(value: str | None, nvml_count: int | None) -> bool:
    if value is None:
        return False
    first = value.strip().split(",")[0].strip()
    if first.lower() in _HIDING_VISIBLE_DEVICES:
        return True
    try:
        index = int(first)
    except ValueError:
        return False  # GPU-/MIG- UUIDs
    return index < 0 or (nvml_count is not None and index >= nvml_count)


def _cuda_unavailable_diagnostic(doc: Doc) -> Doc:
    cuda, torch_doc = doc["cuda"], doc["torch"]
    build = torch_doc["cuda_build"]
    env = cuda["visible_devices_env"]
    driver = cuda["driver_cuda_version"]
    head = f"This torch is a CUDA {build} build, but torch.cuda.is_available() is False"
    restart = "then restart Jupyter or the kernel"
    if torch_doc["hip"]:
        message = f"This torch is a ROCm (HIP {torch_doc['hip']}) build, but no AMD GPU is usable."
        fix = "Check that the ROCm driver is installed and that your user can access /dev/kfd."
        row = _reason("row-rocm-no-gpu", hip=torch_doc["hip"])
        return _diagnostic("cuda-unavailable", "error", message, fix, row)
    if not cuda["nvidia_gpu_detected"] and cuda["nvml_gpu_count"] is None:
        message = f"{head}: no NVIDIA driver was found (the NVML library could not be loaded)."
        fix = (
            f"If this machine has an NVIDIA GPU, install the NVIDIA driver ({restart}). "
            "Otherwise this is expected and the kernel will use the CPU."
        )
        row = _reason("row-no-nvidia-driver")
        return _diagnostic("cuda-unavailable", "info", message, fix, row)
    if _visible_devices_hide_all(env, cuda["nvml_gpu_count"]):
        message = (
            f'{head}: CUDA_VISIBLE_DEVICES is set to "{env}", which hides every GPU from this '
            "kernel."
        )
        fix = (
            "Unset CUDA_VISIBLE_DEVICES (or set it to the GPUs you want, e.g. 0) in the "
            f"environment that starts Jupyter, {restart}."
        )
        row = _reason("row-visible-devices-hide-all", env=env)
        return _diagnostic("cuda-unavailable", "error", message, fix, row)
    driver_v, build_v = _version_tuple(driver), _version_tuple(build)
    # Within one major version an older driver still runs the build (CUDA minor-version
    # compatibility), so only an older major version explains a missing CUDA by itself.
    if driver_v is not None and build_v is not None and driver_v[0] < build_v[0]:
        message = (
            f"{head}: the NVIDIA driver is too old. It supports CUDA up to {driver}, but this "
            f"torch was built for CUDA {build}."
        )
        if cuda["init_warning"]:
            message += f" torch reported: {cuda['init_warning']}"
        fix = (
            f"Update the NVIDIA driver to one that supports CUDA {build} or newer, or install a "
            f"torch build for CUDA {driver} or older: {_cuda_index_hint(doc)}."
        )
        row = _reason("row-driver-too-old")
        return _diagnostic("cuda-unavailable", "error", message, fix, row)
    if cuda["nvml_gpu_count"] == 0:
        message = f"{head}: the NVIDIA driver is loaded but reports no GPU."
        fix = f"Check that the GPU is attached to this machine or container, {restart}."
        row = _reason("row-driver-no-gpu")
        return _diagnostic("cuda-unavailable", "error", message, fix, row)
    message = f"{head} although an NVIDIA GPU was detected."
    if driver_v is not None and build_v is not None and driver_v < build_v:
        message += (
            f" The driver supports CUDA up to {driver} and torch was built for CUDA {build}:"
            " that should work (same major version), unless the driver is older than that"
            " version's minimum."
        )
    if cuda["init_warning"]:
        message += f" torch reported: {cuda['init_warning']}"
    fix = (
        "Check the driver with nvidia-smi, make sure the GPU is passed through to this machine "
        f"or container, {restart}."
    )
    row = _reason("row-cuda-false-gpu-detected", cuda=build)
    return _diagnostic("cuda-unavailable", "error", message, fix, row)


def _cuda_diagnostics(doc: Doc) -> list[Doc]:
    cuda, torch_doc = doc["cuda"], doc["torch"]
    build = torch_doc["cuda_build"]
    if not build and not torch_doc["hip"]:
        return [_cpu_only_build_diagnostic(doc)] if cuda["nvidia_gpu_detected"] else []
    if not cuda["available"]:
        return [_cuda_unavailable_diagnostic(doc)]
    found: list[Doc] = []
    driver = cuda["driver_cuda_version"]
    driver_v, build_v = _version_tuple(driver), _version_tuple(build)
    if driver_v is not None and build_v is not None and driver_v < build_v:
        found.append(
            _diagnostic(
                "driver-old",
                "warning",
                f"The NVIDIA driver supports CUDA up to {driver} but torch was built for CUDA "
                f"{build}; it works through CUDA minor-version compatibility, but some kernels "
                "may fail to compile (PTX JIT).",
                f"Update the NVIDIA driver to one that supports CUDA {build} or newer.",
            )
        )
    unsupported = [dev for dev in cuda["devices"] if dev["supported"] is False]
    if unsupported:
        found.append(_arch_diagnostic(doc, unsupported))
    nvml_count = cuda["nvml_gpu_count"]
    env = cuda["visible_devices_env"]
    if env is not None and nvml_count is not None and cuda["device_count"] < nvml_count:
        found.append(
            _diagnostic(
                "cuda-devices-hidden",
                "info",
                f"torch sees {cuda['device_count']} of the {nvml_count} NVIDIA GPUs because "
                f'CUDA_VISIBLE_DEVICES is "{env}".',
                None,
            )
        )
    return found


def _arch_diagnostic(doc: Doc, unsupported: list[Doc]) -> Doc:
    """One diagnostic for every device the build has no kernels for (codes stay unique)."""
    torch_doc = doc["torch"]
    archs = " ".join(torch_doc["arch_list"]) or "no CUDA architectures"
    devices = " and ".join(
        f"{dev['name']} (cuda:{dev['index']}) has compute capability {dev['capability']}"
        for dev in unsupported
    )
    capabilities = ", ".join(sorted({dev["capability"] for dev in unsupported}))
    message = (
        f"{devices}, which this torch {torch_doc['version']} build does not support; "
        f"it supports {archs}."
    )
    fix = (
        f"Install a torch build that includes compute capability {capabilities} (see "
        f"{_PYTORCH_SELECTOR}), or an older torch release if this GPU is no longer supported."
    )
    return _diagnostic("arch-unsupported", "error", message, fix)


def _mps_diagnostics(doc: Doc) -> list[Doc]:
    mps, python = doc["mps"], doc["python"]
    if not mps["built"] or mps["available"]:
        return []
    macos = mps["macos_version"]
    macos_v = _version_tuple(macos)
    head = "This torch supports MPS (Apple GPU), but MPS is not available"
    if macos_v is not None and macos_v < _MIN_MPS_MACOS:
        message = f"{head}: macOS {macos} is too old; MPS needs macOS 12.3 or later."
        fix = "Update macOS to 12.3 or later, then restart the kernel."
        row = _reason("row-macos-too-old", macos=macos)
    elif python["rosetta"]:
        message = (
            f"{head}: this Python is an Intel (x86_64) build running under Rosetta 2 on Apple "
            "silicon."
        )
        fix = (
            "Install a native arm64 Python (e.g. Miniforge for arm64) with torch, and run the "
            "kernel from it."
        )
        row = _reason("row-rosetta")
    elif python["machine"] != "arm64":
        message = (
            f"{head}: this Mac has an Intel ({python['machine']}) processor, not Apple silicon; "
            "on an Intel Mac, MPS needs an AMD GPU."
        )
        fix = (
            "MPS runs on Apple silicon (M1 or later); the last torch for Intel Macs is 2.2.2, "
            "so the kernel will use the CPU."
        )
        row = _reason("row-intel-mac", machine=python["machine"])
    else:
        message = f"{head} on this Apple silicon Mac (macOS {macos or 'unknown'})."
        fix = "Update torch and macOS to their latest versions, then restart the kernel."
        row = _reason("row-mps-unavailable", macos=macos)
    return [_diagnostic("mps-unavailable", "warning", message, fix, row)]


def _diagnose(doc: Doc) -> list[Doc]:
    torch_doc = doc["torch"]
    if not torch_doc["installed"]:
        return _torch_import_diagnostics(doc)
    found = _cuda_diagnostics(doc) + _mps_diagnostics(doc)
    accelerated = any(dev["available"] and dev["kind"] != "cpu" for dev in doc["devices"])
    if not accelerated and not doc["cuda"]["nvidia_gpu_detected"]:
        found.append(
            _diagnostic(
                "cpu-only",
                "info",
                "No GPU was found for this kernel; it will run on the CPU "
                f"({doc['cpu']['model'] or 'unknown model'}).",
                None,
            )
        )
    return found


# --------------------------------------------------------------------------- backends


def _reason_texts() -> Doc:
    """The reason table: code -> {"args": [...], "en": template}."""
    if not _REASON_TABLE:
        if REASON_TEXTS_JSON is not None:
            _REASON_TABLE.update(json.loads(REASON_TEXTS_JSON))
        else:
            here = os.path.dirname(os.path.abspath(globals()["__file__"]))
            with open(os.path.join(here, "contract.json"), encoding="utf-8") as handle:
                _REASON_TABLE.update(json.load(handle)["reason_texts"]["codes"])
    return _REASON_TABLE


def _reason(code: str, **args: Any) -> Doc:
    """A backend row's reason: ``code``, ``args`` (strings or null) and its English ``text``
    from contract.json ``reason_texts`` (the frontend words the code: src/panel/reasontext.ts).
    """
    entry = _reason_texts()[code]
    values = {k: None if v is None else str(v) for k, v in args.items()}
    if set(values) != set(entry["args"]):
        raise ValueError(f"reason {code}: arguments {sorted(values)}, not {entry['args']}")
    filled = {k: "unknown" if v is None else v for k, v in values.items()}
    return {"code": code, "args": values, "text": entry["en"].format(**filled)}


_SHORT_REASONS = {
    "cpu-only-build": "row-cpu-only-build",
    "arch-unsupported": "row-arch-unsupported",
    "cuda-unavailable": "row-cuda-unavailable",
    "torch-missing": "row-torch-missing",
    "torch-import-failed": "row-torch-import-failed",
}


def _backend(backend: str, usable: bool, device: str | None, reason: Doc) -> Doc:
    return {
        "backend": backend,
        "usable": usable,
        "device": device,
        "reason": reason["text"],
        "i18n": {"code": reason["code"], "args": reason["args"]},
    }


def _finding(item: Doc) -> Doc:
    """A diagnosis's row reason; one without (an older doctor) stands for its code."""
    return item.get("row") or _reason(_SHORT_REASONS.get(item["code"], "row-cuda-unavailable"))


def _cuda_backend(doc: Doc, codes: dict[str, Doc], name: str) -> Doc:
    usable = [dev for dev in doc["devices"] if dev["kind"] == "cuda" and dev["available"]]
    if usable:
        dev = usable[0]
        return _backend(
            name, True, dev["id"], _reason("row-device", device=dev["id"], name=dev["name"])
        )
    for code in ("torch-missing", "torch-import-failed", "cpu-only-build", "arch-unsupported"):
        if code in codes:
            return _backend(name, False, None, _reason(_SHORT_REASONS[code]))
    if "cuda-unavailable" in codes:
        return _backend(name, False, None, _finding(codes["cuda-unavailable"]))
    return _backend(name, False, None, _reason("row-no-nvidia-gpu"))


def _backends(doc: Doc) -> list[Doc]:
    """One row per backend: usable or not, and why in one line."""
    codes = {item["code"]: item for item in doc["diagnostics"]}
    torch_doc, installed = doc["torch"], doc["torch"]["installed"]
    rows = [_cuda_backend(doc, codes, "rocm" if torch_doc["hip"] else "cuda")]
    mps = next((dev for dev in doc["devices"] if dev["kind"] == "mps"), None)
    if mps is not None or doc["python"]["os"] == "Darwin":
        if mps is not None and mps["available"]:
            macos = doc["mps"]["macos_version"] or "?"
            rows.append(_backend("mps", True, "mps", _reason("row-mps-usable", macos=macos)))
        elif "mps-unavailable" in codes:
            rows.append(_backend("mps", False, None, _finding(codes["mps-unavailable"])))
        elif not installed:
            rows.append(_backend("mps", False, None, _reason("row-torch-missing")))
        else:
            rows.append(_backend("mps", False, None, _reason("row-no-mps-build")))
    xpu = [dev for dev in doc["devices"] if dev["kind"] == "xpu"]
    if xpu:
        row = _reason("row-device", device=xpu[0]["id"], name=xpu[0]["name"])
        rows.append(_backend("xpu", True, xpu[0]["id"], row))
    if installed:
        model = doc["cpu"]["model"] or "CPU"
        rows.append(_backend("cpu", True, "cpu", _reason("row-cpu", model=model)))
    else:
        code = "torch-import-failed" if "torch-import-failed" in codes else "torch-missing"
        rows.append(_backend("cpu", False, None, _reason(_SHORT_REASONS[code])))
    return rows


# --------------------------------------------------------------------------- entry points


def _load_doctor(
    errors: Errors, source: str | None, facts_json: str | None
) -> tuple[Callable[..., Doc], Doc] | None:
    """The install doctor's advise() and facts: from the texts the extension passes, else from
    doctor.py and install_facts.json beside this file (script and package use)."""
    try:
        if source is None:
            here = globals().get("__file__")
            if not here:
                return None
            folder = os.path.dirname(os.path.abspath(here))
            with open(os.path.join(folder, "doctor.py"), encoding="utf-8") as handle:
                source = handle.read()
            if facts_json is None:
                with open(os.path.join(folder, "install_facts.json"), encoding="utf-8") as handle:
                    facts_json = handle.read()
        namespace: Doc = {"__name__": "__device_bench_doctor__"}
        exec(compile(source, "device_bench_doctor", "exec"), namespace)
        if namespace.get("REASON_TEXTS_JSON") is None:  # a doctor without the table: ours
            namespace["_REASON_TABLE"].update(_reason_texts())
        return namespace["advise"], json.loads(facts_json or "null")
    except Exception as exc:
        _note_error(errors, "doctor", exc)
        return None


def _section(errors: Errors, name: str, fn: Callable[[], Any], fallback: Any) -> Any:
    try:
        return fn()
    except Exception as exc:
        _note_error(errors, name, exc)
        return fallback


def _default_document() -> Doc:
    """The full document shape with neutral values; sections that fail keep these."""
    return {
        "schema_version": SCHEMA_VERSION,
        "python": {
            "version": None,
            "implementation": None,
            "executable": sys.executable,
            "os": None,
            "os_release": None,
            "machine": None,
            "rosetta": None,
        },
        "torch": _default_torch(),
        "cuda": {
            "available": False,
            "device_count": 0,
            "visible_devices_env": None,
            "driver_cuda_version": None,
            "driver_version": None,
            "nvml_source": None,
            "nvml_error": None,
            "nvml_gpu_count": None,
            "nvml_gpus": [],
            "nvidia_gpu_detected": False,
            "init_warning": None,
            "devices": [],
        },
        "mps": {"built": False, "available": False, "macos_version": None},
        "xpu": {"available": False, "device_count": 0, "devices": []},
        "cpu": {"model": None, "logical_cores": None, "torch_threads": None, "total_memory": None},
        "environment": {
            "env_kind": None,
            "prefix": sys.prefix,
            "pixi_project": None,
            "torch_installer": None,
            "torch_installer_raw": None,
            "torch_dist_version": None,
            "torch_variant": None,
            "torchvision": None,
            "torchaudio": None,
        },
        "devices": [],
        "recommended": None,
        "backends": [],
        "diagnostics": [],
        "facts": {
            "as_of": None,
            "newest_release": None,
            "torch_release_known": None,
            "newer_than_known": False,
        },
        "warnings": [],
        "captured_output": None,
        "errors": [],
        "elapsed_ms": 0.0,
    }


def _collect(doc: Doc, errors: Errors, doctor: tuple[Callable[..., Doc], Doc] | None) -> None:
    """Fill ``doc`` section by section; a failing section is recorded and keeps its default."""

    def run(name: str, fn: Callable[[], Any]) -> None:
        doc[name] = _section(errors, name, fn, doc[name])

    run("python", _python_info)
    torch, import_error, error_kind = _import_torch()
    run("torch", lambda: _torch_info(torch, import_error, error_kind))
    run("environment", lambda: _environment_info(doc["torch"]))
    if not doc["torch"]["installed"]:
        torch = None
    nvml = _section(errors, "nvml", _read_nvml, _default_nvml())
    run("cuda", lambda: _cuda_info(torch, doc["torch"], nvml, errors))
    run("mps", lambda: _mps_info(doc["torch"]))
    run("xpu", lambda: _xpu_info(torch, doc["torch"], errors))
    run("cpu", lambda: _cpu_info(doc["torch"]))
    run("devices", lambda: _device_list(doc))
    run("recommended", lambda: _recommended(doc["devices"]))
    run("diagnostics", lambda: _diagnose(doc))
    if doctor is not None:
        advice = _section(errors, "doctor", lambda: doctor[0](doc, doctor[1]), None)
        if advice is not None:
            doc["diagnostics"], doc["facts"] = advice["diagnostics"], advice["facts"]
    run("backends", lambda: _backends(doc))


def _warning_text(record: warnings.WarningMessage) -> str:
    return f"{record.category.__name__}: {record.message}"


def device_bench_probe(doctor_source: str | None = None, facts_json: str | None = None) -> Doc:
    """Describe this kernel's Python, torch and devices as a JSON-ready dict. Never raises.

    ``doctor_source`` / ``facts_json``: the text of doctor.py and install_facts.json (the
    extension passes both); without them they are read beside this file when it has one."""
    started = time.perf_counter()
    doc = _default_document()
    errors: Errors = doc["errors"]
    out, err = io.StringIO(), io.StringIO()
    try:
        # Third-party code (torch import, NVML bindings) may print or warn; keep it out of
        # the notebook and report it in the document instead.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with warnings.catch_warnings(record=True) as records:
                warnings.simplefilter("always")
                doctor = _load_doctor(errors, doctor_source, facts_json)
                _collect(doc, errors, doctor)
                doc["warnings"] = [_warning_text(record) for record in records]
    except Exception as exc:
        _note_error(errors, "probe", exc)
    captured = (out.getvalue() + err.getvalue()).strip()
    doc["captured_output"] = captured[-_MAX_CAPTURED_CHARS:] or None
    doc["elapsed_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
    return doc


def device_bench_probe_json(
    indent: int | None = None, doctor_source: str | None = None, facts_json: str | None = None
) -> str:
    doc = device_bench_probe(doctor_source, facts_json)
    # default=str: an unexpected value type must degrade to text, not break the contract.
    return json.dumps(doc, ensure_ascii=True, allow_nan=False, indent=indent, default=str)


def device_bench_probe_b64(doctor_source: str | None = None, facts_json: str | None = None) -> str:
    """The document as base64(JSON): its repr in a user_expressions reply is trivial to parse."""
    text = device_bench_probe_json(None, doctor_source, facts_json)
    return base64.b64encode(text.encode()).decode("ascii")


if __name__ == "__main__":
    print(device_bench_probe_json(indent=2))
