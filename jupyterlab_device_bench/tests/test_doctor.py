"""The install doctor (doctor.py) over fake environments: OS x installer x GPU x driver x torch
release x Python, each with the exact command it must print (and the facts it must obey)."""

from __future__ import annotations

import types
from typing import Any

import pytest

from .doctor_env import run_fake

URL = "https://download.pytorch.org/whl/"
P = "'/opt/fake env/bin/python'"  # POSIX_PYTHON, quoted for sh
W = '"C:\\Users\\fake\\envs\\torch\\python.exe"'  # WINDOWS_PYTHON, quoted for PowerShell/cmd
AMPERE, PASCAL, BLACKWELL = ("RTX 3070 Ti", "8.6"), ("GTX 1080", "6.1"), ("RTX 5090", "12.0")
D580 = {"driver": "580.65.06", "driver_cuda": "13.0"}
D550 = {"driver": "550.54.15", "driver_cuda": "12.4"}
D575 = {"driver": "575.57.08", "driver_cuda": "12.9"}
MAC = {"os_name": "Darwin", "machine": "arm64", "mps_built": True}
WIN = {"os_name": "Windows", "machine": "AMD64"}


def pip(pkgs: str, index: str | None, *, uninstall: str | None = "torch", py: str = P) -> str:
    """The expected two lines of a posix pip plan."""
    line = f"{py} -m pip install {pkgs}" + (f" --index-url {URL}{index}" if index else "")
    return (f"{py} -m pip uninstall -y {uninstall}\n" if uninstall else "") + line


def ps(pkgs: str, index: str, *, uninstall: str | None = "torch") -> str:
    line = f"& {W} -m pip install {pkgs} --index-url {URL}{index}"
    return (f"& {W} -m pip uninstall -y {uninstall}\n" if uninstall else "") + line


T13, T14, T11 = "'torch==2.13.*'", "'torch==2.14.*'", "'torch==2.11.*'"
Q13 = '"torch==2.13.*"'

# (id, environment, diagnostic code, index of the fix, shell, expected command, or for a fix with
# no command the text its title or reason must contain)
CASES: list[tuple[str, dict[str, Any], str, int, str, str]] = [
    (
        "cpu-ampere-580",
        {"gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu130"),
    ),
    (
        "cpu-ampere-550",
        {"gpus": (AMPERE,), **D550},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cpu-pascal-580",
        {"gpus": (PASCAL,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cpu-blackwell-575",
        {"gpus": (BLACKWELL,), **D575},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu130"),
    ),
    (
        "cpu-blackwell-575-keep-driver",
        {"gpus": (BLACKWELL,), **D575},
        "cpu-only-build",
        1,
        "posix",
        pip(T11, "cu128"),
    ),
    (
        "cpu-ada-580",
        {"gpus": (("RTX 4090", "8.9"),), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu130"),
    ),
    (
        "cpu-hopper-550",
        {"gpus": (("H100", "9.0"),), **D550},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cpu-turing-535",
        {"gpus": (("T4", "7.5"),), "driver": "535.183.01", "driver_cuda": "12.2"},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cpu-volta-580",
        {"gpus": (("V100", "7.0"),), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cpu-maxwell-550",
        {"gpus": (("GTX 970", "5.2"),), **D550},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cpu-kepler",
        {"gpus": (("Tesla K80", "3.7"),), "driver": "470.256.02", "driver_cuda": "11.4"},
        "cpu-only-build",
        0,
        "manual",
        "even a correct install cannot use this GPU",
    ),
    (
        "cpu-b200-580",
        {"gpus": (("B200", "10.0"),), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu130"),
    ),
    (
        "cpu-rtx5090-580",
        {"gpus": (BLACKWELL,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu130"),
    ),
    (
        "cpu-pascal-and-ampere",
        {"gpus": (PASCAL, AMPERE), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cpu-2.9-ampere",
        {"torch": "2.9.1+cpu", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip("'torch==2.9.*'", "cu130"),
    ),
    (
        "cpu-2.8-ampere",
        {"torch": "2.8.0+cpu", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip("'torch==2.8.*'", "cu128"),
    ),
    (
        "cpu-2.8-blackwell-575",
        {"torch": "2.8.0+cpu", "gpus": (BLACKWELL,), **D575},
        "cpu-only-build",
        0,
        "posix",
        pip("'torch==2.8.*'", "cu128"),
    ),
    (
        "cpu-2.6-ampere",
        {"torch": "2.6.0+cpu", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip("'torch==2.6.*'", "cu126"),
    ),
    (
        "cpu-2.5-ampere-moves-on",
        {"torch": "2.5.1+cpu", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T14, "cu132"),
    ),
    (
        "cpu-2.15-newer",
        {"torch": "2.15.0+cpu", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "manual",
        "newer than this product knows (data as of 2026-12-01)",
    ),
    (
        "cpu-2.15-newer-known-alternative",
        {"torch": "2.15.0+cpu", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        1,
        "posix",
        pip(T14, "cu132"),
    ),
    (
        "cpu-2.12-blackwell-575",
        {"torch": "2.12.0+cpu", "gpus": (BLACKWELL,), **D575},
        "cpu-only-build",
        0,
        "posix",
        pip("'torch==2.12.*'", "cu130"),
    ),
    (
        "none-blackwell-575",
        {"torch": None, "gpus": (BLACKWELL,), **D575},
        "torch-missing",
        0,
        "posix",
        pip(T14, "cu132", uninstall=None),
    ),
    (
        "none-blackwell-575-keep",
        {"torch": None, "gpus": (BLACKWELL,), **D575},
        "torch-missing",
        1,
        "posix",
        pip(T11, "cu128", uninstall=None),
    ),
    (
        "none-ampere-580-py312",
        {"torch": None, "python": "3.12.3", "gpus": (AMPERE,), **D580},
        "torch-missing",
        0,
        "posix",
        pip(T14, "cu132", uninstall=None),
    ),
    (
        "none-ampere-550",
        {"torch": None, "gpus": (AMPERE,), **D550},
        "torch-missing",
        0,
        "posix",
        pip(T14, "cu126", uninstall=None),
    ),
    (
        "none-pascal-580",
        {"torch": None, "gpus": (PASCAL,), **D580},
        "torch-missing",
        0,
        "posix",
        pip(T14, "cu126", uninstall=None),
    ),
    (
        "none-py39-ampere",
        {"torch": None, "python": "3.9.18", "gpus": (AMPERE,), **D580},
        "torch-missing",
        0,
        "posix",
        pip("'torch==2.8.*'", "cu128", uninstall=None),
    ),
    (
        "none-py315",
        {"torch": None, "python": "3.15.0", "gpus": (AMPERE,), **D580},
        "torch-missing",
        0,
        "posix",
        pip(T14, "cu132", uninstall=None),
    ),
    (
        "none-py316",
        {"torch": None, "python": "3.16.0", "gpus": (AMPERE,), **D580},
        "torch-missing",
        0,
        "manual",
        "No known torch release supports Python 3.16.0",
    ),
    (
        "none-linux-cpu",
        {"torch": None},
        "torch-missing",
        0,
        "posix",
        pip(T14, "cpu", uninstall=None),
    ),
    (
        "none-windows-cpu",
        {"torch": None, **WIN},
        "torch-missing",
        0,
        "powershell",
        f'& {W} -m pip install "torch==2.14.*" --index-url {URL}cpu',
    ),
    (
        "win-cpu-ampere-580",
        {**WIN, "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "powershell",
        ps(Q13, "cu130"),
    ),
    (
        "win-cpu-ampere-580-cmd",
        {**WIN, "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "cmd",
        f"{W} -m pip uninstall -y torch\n{W} -m pip install {Q13} --index-url {URL}cu130",
    ),
    (
        "win-cpu-ampere-552",
        {**WIN, "gpus": (AMPERE,), "driver": "552.22", "driver_cuda": "12.4"},
        "cpu-only-build",
        0,
        "powershell",
        ps(Q13, "cu126"),
    ),
    (
        "win-conda-pip-torch",
        {**WIN, "env_kind": "conda", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "powershell",
        ps(Q13, "cu130"),
    ),
    (
        "win-conda-conda-torch",
        {**WIN, "env_kind": "conda", "installer": "conda", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "powershell",
        'conda install -y -p "C:\\Users\\fake\\envs\\torch" -c conda-forge "pytorch=2.13.*=cuda*" '
        '"cuda-version>=13,<14"',
    ),
    (
        "win-uv",
        {**WIN, "env_kind": "uv-venv", "installer": "uv", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "powershell",
        f"uv pip uninstall --python {W} torch\nuv pip install --python {W} {Q13} --index-url "
        f"{URL}cu130",
    ),
    (
        "win-none-pascal",
        {**WIN, "torch": None, "gpus": (PASCAL,), **D580},
        "torch-missing",
        0,
        "powershell",
        f'& {W} -m pip install "torch==2.14.*" --index-url {URL}cu126',
    ),
    (
        "linux-uv-ampere-550",
        {"env_kind": "uv-venv", "installer": "uv", "gpus": (AMPERE,), **D550},
        "cpu-only-build",
        0,
        "posix",
        f"uv pip uninstall --python {P} torch\nuv pip install --python {P} {T13} --index-url "
        f"{URL}cu126",
    ),
    (
        "linux-uv-cell",
        {"env_kind": "uv-venv", "installer": "uv", "gpus": (AMPERE,), **D550},
        "cpu-only-build",
        0,
        "notebook",
        "!uv pip uninstall --python \"{__import__('sys').executable}\" torch\n"
        '!uv pip install --python "{__import__(\'sys\').executable}" "torch==2.13.*" '
        f"--index-url {URL}cu126",
    ),
    (
        "linux-conda-pip-torch",
        {"env_kind": "conda", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "posix",
        pip(T13, "cu130"),
    ),
    (
        "linux-conda-conda-torch",
        {"env_kind": "conda", "installer": "conda", "gpus": (AMPERE,), **D550},
        "cpu-only-build",
        0,
        "posix",
        "conda install -y -p '/opt/fake env' -c conda-forge 'pytorch=2.13.*=cuda*' "
        "'cuda-version>=12,<13'",
    ),
    (
        "linux-conda-cell",
        {"env_kind": "conda", "installer": "conda", "gpus": (AMPERE,), **D550},
        "cpu-only-build",
        0,
        "notebook",
        '%conda install -y -c conda-forge "pytorch=2.13.*=cuda*" "cuda-version>=12,<13"',
    ),
    (
        "linux-pixi",
        {"env_kind": "pixi", "installer": "pixi", "gpus": (AMPERE,), **D580},
        "cpu-only-build",
        0,
        "posix",
        "pixi add --manifest-path '/opt/fake env/pixi.toml' 'pytorch=2.13.*=cuda*' "
        "'cuda-version>=13,<14'",
    ),
    (
        "linux-pip-cell",
        {"gpus": (AMPERE,), **D550},
        "cpu-only-build",
        0,
        "notebook",
        f"%pip uninstall -y torch\n%pip install {Q13} --index-url {URL}cu126",
    ),
    (
        "cu130-build-on-550",
        {"torch": "2.13.0+cu130", "cuda_build": "13.0", "gpus": (AMPERE,), **D550},
        "cuda-unavailable",
        0,
        "posix",
        pip(T13, "cu126"),
    ),
    (
        "cu126-build-blackwell",
        {
            "torch": "2.13.0+cu126",
            "cuda_build": "12.6",
            "cuda_available": True,
            "gpus": (BLACKWELL,),
            **D580,
        },
        "arch-unsupported",
        0,
        "posix",
        pip(T13, "cu130"),
    ),
    (
        "torchvision-mismatch-cuda",
        {
            "torch": "2.13.0+cu130",
            "cuda_build": "13.0",
            "cuda_available": True,
            "gpus": (AMPERE,),
            "torchvision": "0.27.0",
            **D580,
        },
        "torchvision-mismatch",
        0,
        "posix",
        pip(f"{T13} 'torchvision==0.28.*'", "cu130", uninstall="torch torchvision"),
    ),
    (
        "torchvision-mismatch-cpu",
        {"torchvision": "0.26.1"},
        "torchvision-mismatch",
        0,
        "posix",
        pip(f"{T13} 'torchvision==0.28.*'", "cpu", uninstall="torch torchvision"),
    ),
    (
        "torchaudio-after-2.11",
        {"torchaudio": "2.11.0"},
        "torchaudio-mismatch",
        0,
        "manual",
        "torchaudio's last release is 2.11",
    ),
    (
        "torchaudio-mismatch-2.11",
        {
            "torch": "2.11.0+cu128",
            "cuda_build": "12.8",
            "cuda_available": True,
            "gpus": (AMPERE,),
            "torchaudio": "2.10.0",
            **D580,
        },
        "torchaudio-mismatch",
        0,
        "posix",
        pip(f"{T11} 'torchaudio==2.11.*'", "cu128", uninstall="torch torchaudio"),
    ),
    (
        "mps-macos13-torch213",
        {**MAC, "torch": "2.13.0", "macos": "13.6"},
        "mps-unavailable",
        0,
        "manual",
        "Update macOS to 14.0 or newer",
    ),
    (
        "mps-macos13-torch213-keep",
        {**MAC, "torch": "2.13.0", "macos": "13.6"},
        "mps-unavailable",
        1,
        "posix",
        pip("'torch==2.8.*'", None),
    ),
    (
        "mps-macos13-no-torch",
        {**MAC, "torch": None, "macos": "13.6"},
        "torch-missing",
        2,
        "posix",
        pip("'torch==2.8.*'", None, uninstall=None),
    ),
    (
        "mps-macos14-no-torch",
        {**MAC, "torch": None, "macos": "14.5"},
        "torch-missing",
        0,
        "posix",
        pip(T14, None, uninstall=None),
    ),
    (
        "intel-mac-no-torch",
        {"os_name": "Darwin", "machine": "x86_64", "torch": None, "macos": "13.6"},
        "torch-missing",
        0,
        "posix",
        pip("'torch==2.2.2'", None, uninstall=None),
    ),
    (
        "intel-mac-py313",
        {
            "os_name": "Darwin",
            "machine": "x86_64",
            "torch": None,
            "python": "3.13.1",
            "macos": "13.6",
        },
        "torch-missing",
        0,
        "manual",
        "No torch wheel for Python 3.13 on an Intel Mac",
    ),
    (
        "rosetta",
        {**MAC, "machine": "x86_64", "rosetta": True, "torch": "2.13.0", "macos": "14.5"},
        "mps-unavailable",
        0,
        "manual",
        "native arm64 Python",
    ),
    (
        "linux-aarch64-gh200",
        {"machine": "aarch64", "gpus": (("GH200", "9.0"),), **D580},
        "cpu-only-build",
        0,
        "manual",
        "not linux-aarch64",
    ),
]


@pytest.fixture
def doctor_doc(probe: types.ModuleType, monkeypatch: pytest.MonkeyPatch):
    return lambda **env: run_fake(probe, monkeypatch, **env)


def _diagnostic(doc: dict[str, Any], code: str) -> dict[str, Any]:
    found = [item for item in doc["diagnostics"] if item["code"] == code]
    assert len(found) == 1, [item["code"] for item in doc["diagnostics"]]
    return found[0]


def test_the_table_has_at_least_40_environments() -> None:
    assert len({case[0] for case in CASES}) == len(CASES) >= 40


@pytest.mark.parametrize(
    ("env", "code", "index", "shell", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_fix_command(doctor_doc, env, code, index, shell, expected) -> None:
    doc = doctor_doc(**env)
    assert doc["errors"] == []
    fixes = _diagnostic(doc, code)["fixes"]
    assert len(fixes) > index, [fix["title"] for fix in fixes]
    fix = fixes[index]
    assert fix["primary"] is (index == 0)
    if shell == "manual":
        assert fix["commands"] == []
        assert expected in fix["title"] + " " + fix["reason"] + " " + " ".join(fix["steps"])
        return
    commands = {item["shell"]: item["command"] for item in fix["commands"]}
    assert commands[shell] == expected
    if fix["cell"] is not None:
        assert commands["notebook"] == fix["cell"]
        assert "fake" not in fix["cell"]  # the cell names no path


def _has_code(doctor: Any, facts: dict, cuda: str, cap: str) -> bool:
    return bool(doctor.variant_has_code(facts, cuda, cap, "linux-x86_64"))


@pytest.mark.parametrize("env", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_every_recommended_variant_exists_runs_and_has_code(doctor_doc, env, probe) -> None:
    """Whatever the doctor recommends exists for that release, and a fix that does not update
    the driver runs on this driver and has code for every GPU."""
    from jupyterlab_device_bench import doctor

    facts = doctor.load_facts()
    doc = doctor_doc(**env)
    for item in doc["diagnostics"]:
        for fix in item["fixes"]:
            target = fix["target"]
            if not target or target["kind"] != "cuda":
                continue
            release = doctor.find_release(facts, target["torch"])
            assert release is not None
            assert target["variant"] in [v["name"] for v in release["variants"]]
            assert target["index_url"] == URL + target["variant"]
            for gpu in doc["cuda"]["nvml_gpus"]:
                assert _has_code(doctor, facts, target["cuda"], gpu["capability"]), fix["title"]
            runs = doctor.variant_runs_on_driver(
                facts,
                target["cuda"],
                doc["cuda"]["driver_cuda_version"],
                doc["cuda"]["driver_version"],
                doc["python"]["os"],
            )
            updates_driver = any("Update the NVIDIA driver" in step for step in fix["steps"])
            assert runs is (not updates_driver), fix["title"]


def test_driver_update_names_the_minimum(doctor_doc) -> None:
    doc = doctor_doc(gpus=(BLACKWELL,), **D575)
    fix = _diagnostic(doc, "cpu-only-build")["fixes"][0]
    assert fix["steps"][0].startswith("Update the NVIDIA driver to 580.65.06 or newer")
    assert "cu126, cu130, cu132" in fix["reason"]
    assert fix["expect"] == "cuda:0"


def test_minor_version_compatibility_is_explained(doctor_doc) -> None:
    fix = _diagnostic(doctor_doc(gpus=(AMPERE,), **D550), "cpu-only-build")["fixes"][0]
    assert "CUDA 12.6 runs on a CUDA 12.4 driver" in fix["reason"]


def test_conda_says_why_pip_or_conda_forge(doctor_doc) -> None:
    pip_fix, forge = _diagnostic(
        doctor_doc(env_kind="conda", gpus=(AMPERE,), **D580), "cpu-only-build"
    )["fixes"]
    assert pip_fix["installer"] == "pip" and forge["installer"] == "conda-forge"
    assert "stopped at 2.5" in pip_fix["reason"]


def test_mps_message_names_the_macos_needed(doctor_doc) -> None:
    doc = doctor_doc(**MAC, torch="2.13.0", macos="13.6")
    item = _diagnostic(doc, "mps-unavailable")
    assert "needs macOS 14.0" in item["message"] and "13.6" in item["message"]
    assert (
        "torch 2.8 is the last release whose MPS runs on macOS 13.6" in item["fixes"][1]["reason"]
    )
    assert [row["backend"] for row in doc["backends"]] == ["cuda", "mps", "cpu"]
    assert [row["usable"] for row in doc["backends"]] == [False, False, True]


def test_working_cuda_has_nothing_to_fix(doctor_doc) -> None:
    doc = doctor_doc(
        torch="2.13.0+cu130", cuda_build="13.0", cuda_available=True, gpus=(AMPERE,), **D580
    )
    assert doc["diagnostics"] == []
    assert doc["backends"][0] == {
        "backend": "cuda",
        "usable": True,
        "device": "cuda:0",
        "reason": "cuda:0: RTX 3070 Ti",
        "i18n": {"code": "row-device", "args": {"device": "cuda:0", "name": "RTX 3070 Ti"}},
    }


def test_newer_release_is_flagged_in_facts(doctor_doc) -> None:
    doc = doctor_doc(torch="2.15.0+cpu", gpus=(AMPERE,), **D580)
    assert doc["facts"] == {
        "as_of": "2026-12-01",
        "newest_release": "2.14",
        "torch_release_known": False,
        "newer_than_known": True,
    }


@pytest.mark.parametrize(
    ("env", "shells"),
    [
        ({"executable": "/opt/odd\nname/bin/python"}, ["notebook"]),
        ({"executable": "/opt/bell\x07/bin/python"}, ["notebook"]),
        ({**WIN, "executable": "C:\\Users\\100%\\python.exe"}, ["powershell", "notebook"]),
        ({**WIN, "executable": "C:\\Users\\it\u2019s\\python.exe"}, ["cmd", "notebook"]),
        ({**WIN, "executable": "C:\\Users\\$me `x\\python.exe"}, ["powershell", "cmd", "notebook"]),
    ],
    ids=["newline", "control", "cmd-percent", "ps-typographic-quote", "ps-dollar-backtick"],
)
def test_a_path_outside_the_allowlist_gets_no_command_for_that_shell(
    doctor_doc, env, shells
) -> None:
    """The interpreter's path is the one value of a command that the kernel, not the facts,
    supplies: a shell gets a command only when the path passes that shell's allowlist; the
    notebook cell names no path and is always there."""
    from jupyterlab_device_bench import doctor

    doc = doctor_doc(gpus=(AMPERE,), **D550, **env)
    fix = _diagnostic(doc, "cpu-only-build")["fixes"][0]
    assert [item["shell"] for item in fix["commands"]] == shells
    assert fix["cell"] == f"%pip uninstall -y torch\n%pip install {Q13} --index-url {URL}cu126"
    for item in fix["commands"]:
        assert doctor.path_fits_shell(item["shell"], env["executable"]) or item["shell"] == (
            "notebook"
        )
    if "powershell" in shells and "$" in env["executable"]:
        (ps_command,) = [c["command"] for c in fix["commands"] if c["shell"] == "powershell"]
        assert ps_command.startswith("& 'C:\\Users\\$me `x\\python.exe' -m pip uninstall")


def _say_calls() -> dict[str, set[str]]:
    """Every say("code", ..., name=...) in doctor.py: code -> argument names."""
    import ast
    from pathlib import Path

    from jupyterlab_device_bench import doctor

    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(Path(doctor.__file__).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say":
            names = {kw.arg for kw in node.keywords if kw.arg} | (
                {"driver", "driver_cuda"} if any(kw.arg is None for kw in node.keywords) else set()
            )
            found.setdefault(node.args[0].value, set()).update(names)
    return found


def test_every_fix_sentence_code_is_in_the_contract() -> None:
    """The frontend words each code (src/panel/fixtext.ts is typed by the contract's codes, so
    tsc fails when one has no sentence); here: doctor.py uses exactly the contract's codes."""
    from jupyterlab_device_bench.contract import CONTRACT

    codes = {code: set(args) for code, args in CONTRACT["doctor_texts"]["codes"].items()}
    assert _say_calls() == codes


@pytest.mark.parametrize("env", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_fix_titles_and_steps_carry_codes_and_args(doctor_doc, env) -> None:
    """Each title and step is also sent as {code, args} (strings or null), one per step;
    no command is ever among the args."""
    from jupyterlab_device_bench.contract import CONTRACT

    codes = CONTRACT["doctor_texts"]["codes"]
    doc = doctor_doc(**env)
    for item in doc["diagnostics"]:
        for fix in item["fixes"]:
            keys = [fix["i18n"]["title"], *fix["i18n"]["steps"]]
            assert len(fix["i18n"]["steps"]) == len(fix["steps"])
            for key in keys:
                assert set(key["args"]) == set(codes[key["code"]]), key
                for value in key["args"].values():
                    assert value is None or isinstance(value, str)
                    assert not any(c["command"] in (value or "") for c in fix["commands"])
            if fix["i18n"]["title"].get("suffix"):
                assert fix["title"].endswith(f" ({fix['i18n']['title']['suffix']})")
