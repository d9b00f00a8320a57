"""Fix reasons and backend-row reasons as codes (contract.json ``reason_texts``).

The kernel side words every reason in English from the table (doctor.py ``because()``,
probe.py ``_reason()``) and sends the code and arguments beside it; the frontend words the
same codes (src/panel/reasontext.ts, typed by the table, so tsc fails for a missing one).
Here: the Python side emits exactly the table's codes with exactly their arguments, the
English it sends is the table's wording, the kernel's copy carries the table, and every code
has Chinese in the catalog that ships.
"""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_device_bench.contract import CONTRACT, REASON_TEXTS_LINE, kernel_source

from .conftest import PROBE_PATH, fake_cuda_device, fake_nvml, fake_torch_module, no_nvml
from .doctor_env import run_fake
from .test_catalog import catalog
from .test_doctor import CASES

ROOT = Path(__file__).resolve().parents[1]
TABLE: dict[str, Any] = CONTRACT["reason_texts"]["codes"]
# No translation by design: the probe's own English diagnosis, and data (a device's id and
# name, the CPU's model), shown as they are.
UNTRANSLATED = {"probe-cause", "row-device", "row-cpu"}


def _calls(path: Path, name: str) -> dict[str, set[frozenset[str]]]:
    """Every name("code", key=...) call in the file: code -> the sets of argument names."""
    found: dict[str, set[frozenset[str]]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
            if not isinstance(node.args[0], ast.Constant):  # a code from _SHORT_REASONS
                assert "_SHORT_REASONS" in ast.unparse(node.args[0]), ast.unparse(node)
                assert not node.keywords, ast.unparse(node)
                continue
            names = {kw.arg for kw in node.keywords if kw.arg}
            if any(kw.arg is None for kw in node.keywords):  # **driver_args / **first["args"]
                spread = ast.unparse([kw for kw in node.keywords if kw.arg is None][0].value)
                names |= (
                    {"driver", "driver_cuda"}
                    if "driver" in spread
                    else set(TABLE[node.args[0].value]["args"])
                )
            found.setdefault(node.args[0].value, set()).add(frozenset(names))
    return found


def english(code: str, args: dict[str, str | None]) -> str:
    """The table's English for a code, as the kernel fills it."""
    filled = {k: "unknown" if v is None else v for k, v in args.items()}
    cuda = args.get("driver_cuda")
    driver = args.get("driver")
    filled["driver_text"] = (
        f"driver {driver or '?'} (CUDA up to {cuda})"
        if cuda
        else f"driver {driver or 'of unknown version'}"
    )
    return TABLE[code]["en"].format(**filled)


def msgid(code: str) -> str:
    """The frontend's template of a code: its English with %1, %2 … for the arguments."""
    count = iter(range(1, 100))
    return re.sub(r"\{\w+\}", lambda _: f"%{next(count)}", TABLE[code]["en"])


@pytest.fixture
def doctor_doc(probe: types.ModuleType, monkeypatch: pytest.MonkeyPatch):
    return lambda **env: run_fake(probe, monkeypatch, **env)


def test_the_kernel_side_emits_exactly_the_tables_codes_and_arguments(
    probe: types.ModuleType,
) -> None:
    calls = _calls(ROOT / "doctor.py", "because")
    for code in probe._SHORT_REASONS.values():
        calls.setdefault(code, set()).add(frozenset())
    for code, names in _calls(ROOT / "probe.py", "_reason").items():
        calls.setdefault(code, set()).update(names)
    assert set(calls) == set(TABLE)
    for code, uses in calls.items():
        assert uses == {frozenset(TABLE[code]["args"])}, code
    assert len(TABLE) >= 55


def test_every_template_names_only_its_arguments() -> None:
    for code, entry in TABLE.items():
        used = set(re.findall(r"\{(\w+)\}", entry["en"])) - {"driver_text"}
        assert used <= set(entry["args"]), code
        if "{driver_text}" in entry["en"]:
            assert {"driver", "driver_cuda"} <= set(entry["args"]), code
        english(code, {name: "x" for name in entry["args"]})


def test_every_code_has_chinese_in_the_catalog() -> None:
    have = catalog()
    missing = [code for code in TABLE if code not in UNTRANSLATED and not have.get(msgid(code))]
    assert missing == []
    assert "显卡" in have[msgid("row-no-nvidia-gpu")]
    assert "驱动" in have[msgid("row-driver-too-old")]


def _check(doc: dict[str, Any], seen: set[str]) -> None:
    assert doc["errors"] == []
    for item in doc["diagnostics"]:
        for fix in item["fixes"]:
            parts = fix["i18n"]["reason"]
            assert parts, fix["title"]
            for part in parts:
                assert set(part["args"]) == set(TABLE[part["code"]]["args"]), part
                assert all(v is None or isinstance(v, str) for v in part["args"].values())
                seen.add(part["code"])
            assert fix["reason"] == " ".join(english(p["code"], p["args"]) for p in parts)
    for row in doc["backends"]:
        key = row["i18n"]
        assert set(key) == {"code", "args"}
        assert set(key["args"]) == set(TABLE[key["code"]]["args"]), key
        assert row["reason"] == english(key["code"], key["args"])
        seen.add(key["code"])


@pytest.mark.parametrize("env", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_reasons_are_the_tables_english_from_their_codes(doctor_doc, env) -> None:
    _check(doctor_doc(**env), set())


def test_the_cases_cover_most_codes(doctor_doc) -> None:
    """Over the doctor's environments every backend row and reason is the table's English;
    most codes come up."""
    seen: set[str] = set()
    for case in CASES:
        _check(doctor_doc(**case[1]), seen)
    print(f"{len(seen)} of {len(TABLE)} codes seen; not seen: {sorted(set(TABLE) - seen)}")
    assert len(seen) >= 0.6 * len(TABLE), sorted(set(TABLE) - seen)


def test_backend_rows_word_each_cuda_finding(fake_machine) -> None:
    """The rows of machines without a usable GPU: the finding's own short reason."""
    rows = {}
    doc = fake_machine(fake_torch_module(version="2.13.0+cpu"), no_nvml())
    rows["cpu-build"] = doc["backends"][0]
    doc = fake_machine(
        fake_torch_module(cuda_build="12.6", cuda_available=False),
        fake_nvml("12.4", ("NVIDIA GeForce RTX 3090",), capabilities=("8.6",)),
    )
    rows["gpu-detected"] = doc["backends"][0]
    doc = fake_machine(
        fake_torch_module(
            cuda_build="12.6",
            cuda_available=True,
            devices=(fake_cuda_device("NVIDIA <b>RTX</b>", 8, 6),),
        ),
        fake_nvml("12.6", ("NVIDIA <b>RTX</b>",), capabilities=("8.6",)),
    )
    rows["usable"] = doc["backends"][0]
    assert rows["cpu-build"]["i18n"]["code"] == "row-no-nvidia-gpu"
    assert rows["gpu-detected"]["i18n"] == {
        "code": "row-cuda-false-gpu-detected",
        "args": {"cuda": "12.6"},
    }
    assert rows["gpu-detected"]["reason"] == (
        "This torch is a CUDA 12.6 build, but torch.cuda.is_available() is False although an "
        "NVIDIA GPU was detected"
    )
    # Names are data: sent verbatim as an argument, never parsed.
    assert rows["usable"]["i18n"]["args"] == {"device": "cuda:0", "name": "NVIDIA <b>RTX</b>"}


def test_the_kernels_copy_carries_the_table() -> None:
    """kernel_source() writes the table into the probe's line (as scripts/embed-python.mjs
    does); exec'd without a file beside it, the probe still words its rows."""
    text = PROBE_PATH.read_text(encoding="utf-8")
    assert text.count(REASON_TEXTS_LINE) == 1
    embedded = kernel_source(text)
    assert REASON_TEXTS_LINE not in embedded
    namespace: dict[str, Any] = {"__name__": "__device_bench_probe__"}
    exec(compile(embedded, "device_bench_probe", "exec"), namespace)
    assert namespace["_reason"]("row-no-nvidia-gpu")["text"] == "no NVIDIA GPU was found"
    assert namespace["_reason_texts"]() == TABLE
    with pytest.raises(ValueError):
        namespace["_reason"]("row-mps-usable")  # its argument is missing


ROW_MACHINES = [
    # (id, torch, nvml, host facts, CUDA_VISIBLE_DEVICES, backend, expected row code)
    ("rocm", {"cuda_build": None, "hip": "6.2"}, None, {}, None, "rocm", "row-rocm-no-gpu"),
    ("no-driver", {"cuda_build": "12.6"}, None, {}, None, "cuda", "row-no-nvidia-driver"),
    (
        "hidden",
        {"cuda_build": "12.6"},
        ("12.6", 1),
        {},
        "-1",
        "cuda",
        "row-visible-devices-hide-all",
    ),
    ("old-driver", {"cuda_build": "12.6"}, ("11.8", 1), {}, None, "cuda", "row-driver-too-old"),
    ("no-gpu", {"cuda_build": "12.6"}, ("12.6", 0), {}, None, "cuda", "row-driver-no-gpu"),
    ("cpu-build", {"cuda_build": None}, ("12.6", 1), {}, None, "cuda", "row-cpu-only-build"),
    (
        "old-macos",
        {"mps_built": True},
        None,
        {"os_name": "Darwin", "machine": "arm64", "macos_version": "12.1"},
        None,
        "mps",
        # The doctor's macOS update words the row (advise()): torch 2.13 needs macOS 14.
        "row-torch-needs-macos",
    ),
    (
        "rosetta",
        {"mps_built": True},
        None,
        {"os_name": "Darwin", "machine": "x86_64", "macos_version": "14.5", "rosetta": True},
        None,
        "mps",
        "row-rosetta",
    ),
    (
        "intel-mac",
        {"mps_built": True},
        None,
        {"os_name": "Darwin", "machine": "x86_64", "macos_version": "14.5", "rosetta": False},
        None,
        "mps",
        "row-intel-mac",
    ),
    (
        "mps-off",
        {"mps_built": True},
        None,
        {"os_name": "Darwin", "machine": "arm64", "macos_version": "15.1"},
        None,
        "mps",
        "row-mps-unavailable",
    ),
    (
        "mps-on",
        {"mps_built": True, "mps_available": True},
        None,
        {"os_name": "Darwin", "machine": "arm64", "macos_version": "15.1"},
        None,
        "mps",
        "row-mps-usable",
    ),
    (
        "no-mps-build",
        {},
        None,
        {"os_name": "Darwin", "machine": "arm64", "macos_version": "15.1"},
        None,
        "mps",
        "row-no-mps-build",
    ),
]


@pytest.mark.parametrize(
    ("torch", "nvml", "host", "visible", "backend", "code"),
    [case[1:] for case in ROW_MACHINES],
    ids=[case[0] for case in ROW_MACHINES],
)
def test_each_backend_row_is_worded_by_its_code(
    fake_machine, monkeypatch, torch, nvml, host, visible, backend, code
) -> None:
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    gpus = ("NVIDIA GeForce RTX 3090",) * nvml[1] if nvml else ()
    doc = fake_machine(
        fake_torch_module(version="2.13.0", **torch),
        fake_nvml(nvml[0], gpus, capabilities=("8.6",) * len(gpus)) if nvml else no_nvml(),
        **host,
    )
    (row,) = [row for row in doc["backends"] if row["backend"] == backend]
    assert row["i18n"]["code"] == code, row
    assert row["reason"] == english(code, row["i18n"]["args"])
    _check(doc, set())


def test_a_torch_newer_than_known_on_apple_silicon_gets_its_fix(doctor_doc) -> None:
    """This branch passed a plain string as the fix's title (the doctor then failed)."""
    doc = doctor_doc(
        os_name="Darwin", machine="arm64", macos="15.1", torch="2.99.0", mps_built=True
    )
    assert doc["errors"] == []
    (item,) = [item for item in doc["diagnostics"] if item["code"] == "mps-unavailable"]
    (fix,) = item["fixes"]
    assert fix["i18n"]["title"]["code"] == "torch-newer-than-known"
    assert [part["code"] for part in fix["i18n"]["reason"]] == ["torch-newer-mps-unknown"]
    _check(doc, set())
