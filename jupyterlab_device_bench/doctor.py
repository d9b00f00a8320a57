"""Install doctor: from a probe document and the install facts to the exact fix commands.

Pure functions over two JSON-ready values: the probe document (probe.py) and the install facts
(install_facts.json, validated by schemas/install_facts.schema.json). Like probe.py this runs in
the user's kernel, which may not have this package: the extension embeds this file's text and the
facts' JSON and hands both to the probe as string literals. So: Python 3.8+ standard library only,
no I/O except ``load_facts()`` reading the file beside this one, nothing printed, nothing raised.

The entry point is ``advise(doc, facts)``: a new diagnostics list where every diagnostic carries
``fixes`` (see docs/install-doctor.md), plus a ``facts`` summary for the document.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    Doc = dict[str, Any]

FACTS_FILE = "install_facts.json"
SELECTOR = "https://pytorch.org/get-started/locally/"


def say(code: str, text: str, **args: Any) -> Doc:
    """A sentence of a fix: its English ``text`` plus a stable ``code`` and ``args``.

    The frontend words each code in the user's language from the args (src/panel/fixtext.ts);
    every code is listed in contract.json (``doctor_texts``), and a test checks both sides
    know the same codes. Commands are never part of a sentence: they stay verbatim.
    """
    return {
        "code": code,
        "args": {k: None if v is None else str(v) for k, v in args.items()},
        "text": text,
    }


# contract.json's ``reason_texts`` (code -> args and English wording). The extension's build
# writes the table into the line below for the kernel (scripts/embed-python.mjs, and
# contract.kernel_source() for the package's own kernels); run from the package, the
# table is read from contract.json beside this file.
REASON_TEXTS_JSON = None  # embedded: contract.json reason_texts
_REASON_TABLE: Doc = {}


def reason_texts() -> Doc:
    """The reason table: code -> {"args": [...], "en": template}."""
    if not _REASON_TABLE:
        if REASON_TEXTS_JSON is not None:
            _REASON_TABLE.update(json.loads(REASON_TEXTS_JSON))
        else:
            here = os.path.dirname(os.path.abspath(__file__))
            with open(os.path.join(here, "contract.json"), encoding="utf-8") as handle:
                _REASON_TABLE.update(json.load(handle)["reason_texts"]["codes"])
    return _REASON_TABLE


def driver_phrase(driver: str | None, driver_cuda: str | None) -> str:
    """'driver 580.65 (CUDA up to 13.0)', 'driver 580.65' or 'driver of unknown version'."""
    if driver_cuda:
        return f"driver {driver or '?'} (CUDA up to {driver_cuda})"
    return f"driver {driver or 'of unknown version'}"


def because(code: str, **args: Any) -> Doc:
    """One sentence of a reason: ``code``, ``args`` (strings or null) and its English ``text``,
    worded from contract.json ``reason_texts`` (the frontend words the code from the same
    table's codes in the user's language: src/panel/reasontext.ts)."""
    entry = reason_texts()[code]
    values = {k: None if v is None else str(v) for k, v in args.items()}
    if set(values) != set(entry["args"]):
        raise ValueError(f"reason {code}: arguments {sorted(values)}, not {entry['args']}")
    filled = {k: "unknown" if v is None else v for k, v in values.items()}
    filled["driver_text"] = driver_phrase(values.get("driver"), values.get("driver_cuda"))
    return {"code": code, "args": values, "text": entry["en"].format(**filled)}


def _suffixed(title: Doc, suffix: str) -> Doc:
    """The same title for an alternative installer, e.g. "... (pip)"."""
    return dict(title, text=f"{title['text']} ({suffix})", suffix=suffix)


def _driver_args(cuda: Doc) -> Doc:
    return {"driver": cuda["driver_version"], "driver_cuda": cuda["driver_cuda_version"]}


# --------------------------------------------------------------------------- facts


def load_facts(text: str | None = None) -> Doc:
    """The facts from JSON text, or from the file beside this module."""
    if text is None:
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, FACTS_FILE), encoding="utf-8") as handle:
            text = handle.read()
    return json.loads(text)


def version_tuple(text: Any) -> tuple[int, ...] | None:
    """'2.13.0+cu126' -> (2, 13, 0); '12.4' -> (12, 4); None when not a version."""
    if text is None:
        return None
    match = re.match(r"^\s*(\d+(?:\.\d+)*)", str(text))
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def release_of(version: Any) -> str | None:
    """'2.13.0+cpu' -> '2.13'."""
    parts = version_tuple(version)
    if parts is None or len(parts) < 2:
        return None
    return f"{parts[0]}.{parts[1]}"


def _at_least(value: Any, minimum: Any) -> bool:
    have, need = version_tuple(value), version_tuple(minimum)
    return have is not None and need is not None and have >= need


def releases_newest_first(facts: Doc) -> list[Doc]:
    return sorted(
        facts["releases"], key=lambda row: version_tuple(row["torch"]) or (), reverse=True
    )


def find_release(facts: Doc, release: str | None) -> Doc | None:
    return next((row for row in facts["releases"] if row["torch"] == release), None)


def newest_known(facts: Doc) -> str:
    return releases_newest_first(facts)[0]["torch"]


def is_newer_than_known(facts: Doc, release: str | None) -> bool:
    have, newest = version_tuple(release), version_tuple(newest_known(facts))
    return have is not None and newest is not None and have > newest


def cuda_variant_facts(facts: Doc, cuda: str) -> Doc | None:
    return next((row for row in facts["cuda_variants"] if row["cuda"] == cuda), None)


def index_url(facts: Doc, variant: str) -> str:
    return facts["index_base"] + variant


def min_driver(facts: Doc, cuda: str, os_name: str | None) -> str | None:
    major = (version_tuple(cuda) or (0,))[0]
    row = next((item for item in facts["drivers"] if item["cuda_major"] == major), None)
    if row is None:
        return None
    return row["windows"] if os_name == "Windows" else row["linux"]


def mps_macos_needed(facts: Doc, release: str | None) -> str | None:
    have = version_tuple(release)
    if have is None:
        return None
    for row in facts["mps"]:
        low, high = version_tuple(row["torch_from"]), version_tuple(row["torch_to"])
        if low is not None and have >= low and (high is None or have <= high):
            return row["macos"]
    return None


# --------------------------------------------------------------------------- GPU rules


def code_runs_on(built: str, device: str) -> bool:
    """Binary code built for X.Y runs on X.Z with Z >= Y (same major)."""
    b, d = version_tuple(built), version_tuple(device)
    if b is None or d is None or len(b) < 2 or len(d) < 2:
        return False
    return b[0] == d[0] and d[1] >= b[1]


def variant_has_code(facts: Doc, cuda: str, capability: str, platform: str | None) -> bool | None:
    """Whether a CUDA variant has code for a GPU; None when the facts do not say."""
    row = cuda_variant_facts(facts, cuda)
    if row is None or row["capabilities"] is None:
        return None
    if any(code_runs_on(built, capability) for built in row["capabilities"]):
        return True
    ptx = row["ptx"]
    if ptx and platform in ptx["platforms"]:
        have, need = version_tuple(capability), version_tuple(ptx["capability"])
        return bool(have and need and have >= need)
    return False


def variant_runs_on_driver(
    facts: Doc, cuda: str, driver_cuda: str | None, driver_version: str | None, os_name: str | None
) -> bool | None:
    """Whether a CUDA X.Y build runs on this driver (minor-version compatibility); None unknown."""
    need = version_tuple(cuda)
    if need is None:
        return None
    minimum = min_driver(facts, cuda, os_name)
    have_cuda = version_tuple(driver_cuda)
    if have_cuda is not None:
        if have_cuda[0] > need[0]:
            return True
        if have_cuda[0] < need[0]:
            return False
    if driver_version is None:
        return None if have_cuda is None else True
    if minimum is None:
        return have_cuda is not None
    return _at_least(driver_version, minimum)


def platform_key(python: Doc) -> str | None:
    os_name, machine = python.get("os"), (python.get("machine") or "").lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}.get(
        machine, machine
    )
    if os_name == "Linux":
        return f"linux-{'aarch64' if arch in ('aarch64', 'arm64') else arch}"
    if os_name == "Windows":
        return f"windows-{arch}"
    if os_name == "Darwin":
        return f"macos-{arch}"
    return None


def _usable_cuda_variants(release: Doc, facts: Doc, platform: str | None) -> list[Doc]:
    """Non-experimental CUDA variants of a release with known GPU lists, highest CUDA first."""
    found = []
    for variant in release["variants"]:
        if variant["kind"] != "cuda" or variant.get("status") == "experimental":
            continue
        row = cuda_variant_facts(facts, variant["cuda"])
        if row is None or row["capabilities"] is None or platform not in row["platforms"]:
            continue
        found.append(variant)
    return sorted(found, key=lambda item: version_tuple(item["cuda"]) or (), reverse=True)


# --------------------------------------------------------------------------- commands


def _ps_quote(text: str) -> str:
    if re.search(r'[$`"]', text):
        return "'" + text.replace("'", "''") + "'"
    return f'"{text}"'


def _cmd_quote(text: str) -> str:
    return f'"{text}"'


def _notebook_quote(text: str) -> str:
    """Arguments in a %pip / !uv line: double quotes work in sh and in cmd."""
    return f'"{text}"' if re.search(r"[*<>=|&;,\s]", text) else text


def _shells(os_name: str | None) -> list[str]:
    return ["powershell", "cmd"] if os_name == "Windows" else ["posix"]


def _quote_for(shell: str, text: str) -> str:
    if shell == "posix":
        return shlex.quote(text)
    if shell == "powershell":
        return _ps_quote(text)
    if shell == "cmd":
        return _cmd_quote(text)
    return _notebook_quote(text)


def _quote_arg(shell: str, text: str) -> str:
    """A plain argument: quoted only when a shell would read it (``*``, ``<``, ``=``...)."""
    if re.fullmatch(r"[A-Za-z0-9_./:+-]+", text):
        return text
    return _quote_for(shell, text)


def installer_for(doc: Doc) -> str:
    """pip, uv, conda (pip inside a conda environment) or pixi."""
    env = doc.get("environment") or {}
    installer = env.get("torch_installer")
    if installer in ("uv", "conda", "pixi"):
        return installer
    if installer == "pip":
        return "conda" if env.get("env_kind") == "conda" else "pip"
    kind = env.get("env_kind")
    return {"uv-venv": "uv", "conda": "conda", "pixi": "pixi"}.get(kind, "pip")


def _pip_lines(doc: Doc, shell: str, action: Doc, tool: str) -> list[str]:
    exe = doc["python"]["executable"] or "python"
    lines = []
    for verb, packages, extra in _pip_verbs(action):
        if tool == "uv":
            if shell == "notebook":
                head = "!uv pip " + verb + " --python \"{__import__('sys').executable}\""
            else:
                head = f"uv pip {verb} --python {_quote_for(shell, exe)}"
            if verb == "uninstall":
                extra = []
        elif shell == "notebook":
            head = f"%pip {verb}"
        elif shell == "powershell":
            head = f"& {_ps_quote(exe)} -m pip {verb}"
        else:
            head = f"{_quote_for(shell, exe)} -m pip {verb}"
        words = [head] + extra + [_quote_arg(shell, item) for item in packages]
        if verb == "install" and action.get("index_url"):
            words += ["--index-url", action["index_url"]]
        lines.append(" ".join(words))
    return lines


def _pip_verbs(action: Doc) -> list[tuple[str, list[str], list[str]]]:
    verbs = []
    if action.get("uninstall"):
        verbs.append(("uninstall", list(action["uninstall"]), ["-y"]))
    extra = ["--force-reinstall"] if action.get("force") else []
    verbs.append(("install", list(action["install"]), extra))
    return verbs


def _conda_forge_specs(action: Doc) -> list[str]:
    target = action.get("target") or {}
    kind, release = target.get("kind"), target.get("torch")
    build = {"cuda": "=cuda*", "cpu": "=cpu*"}.get(kind, "")
    specs = [f"pytorch={release}.*{build}" if release else "pytorch"]
    if kind == "cuda" and target.get("cuda"):
        major = (version_tuple(target["cuda"]) or (12,))[0]
        specs.append(f"cuda-version>={major},<{major + 1}")
    if target.get("torchvision"):
        specs.append(f"torchvision={target['torchvision']}.*")
    return specs


def _conda_lines(doc: Doc, shell: str, action: Doc, tool: str) -> list[str]:
    specs = _conda_forge_specs(action)
    quoted = " ".join(_quote_for(shell, spec) for spec in specs)
    env = doc.get("environment") or {}
    if tool == "pixi":
        project = env.get("pixi_project")
        where = f" --manifest-path {_quote_for(shell, project)}" if project else ""
        return [f"pixi add{where} {quoted}"]
    if shell == "notebook":
        return [f"%conda install -y -c conda-forge {quoted}"]
    prefix = env.get("prefix") or ""
    return [f"conda install -y -p {_quote_for(shell, prefix)} -c conda-forge {quoted}"]


def path_fits_shell(shell: str, text: Any) -> bool:
    """The allowlist for a path the kernel reported (interpreter, prefix, pixi manifest) before
    it goes into a command: a string of printable characters; for cmd none that its double
    quotes would not keep literal (``"``, and ``%`` which expands); for PowerShell no typographic
    quotes (it reads them as quotes)."""
    if not isinstance(text, str) or not text or len(text) > 1024:
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        return False
    if shell == "cmd":
        return not re.search(r'["%]', text)
    if shell == "powershell":
        return not re.search("[\u2018-\u201e]", text)
    return True


def _paths_in(doc: Doc, tool: str) -> list[Any]:
    env = doc.get("environment") or {}
    if tool == "pixi":
        return [env.get("pixi_project")] if env.get("pixi_project") else []
    if tool == "conda-forge":
        return [env.get("prefix")]
    return [doc["python"].get("executable") or "python"]


def render(doc: Doc, action: Doc, tool: str) -> tuple[list[Doc], str | None]:
    """Commands for every shell this OS has, plus the notebook cell (which names no path).
    A shell whose command would carry a path outside the allowlist gets no command."""
    os_name = doc["python"].get("os")
    make = _conda_lines if tool in ("conda-forge", "pixi") else _pip_lines
    paths = _paths_in(doc, tool)
    commands = [
        {"shell": shell, "command": "\n".join(make(doc, shell, action, tool))}
        for shell in _shells(os_name)
        if all(path_fits_shell(shell, path) for path in paths)
    ]
    cell = None
    if tool != "pixi":
        cell = "\n".join(make(doc, "notebook", action, tool))
        commands.append({"shell": "notebook", "command": cell})
    return commands, cell


def _packages(doc: Doc, release: Doc | None, version: str | None) -> tuple[list[str], list[str]]:
    """(to install, to uninstall first): torch plus the companions that are installed."""
    env = doc.get("environment") or {}
    spec = f"torch=={version}.*" if version else "torch"
    install, uninstall = [spec], []
    if doc["torch"]["installed"] or env.get("torch_dist_version"):
        uninstall.append("torch")
    if env.get("torchvision"):
        uninstall.append("torchvision")
        if release is not None:
            install.append(f"torchvision=={release['torchvision']}.*")
    if env.get("torchaudio"):
        uninstall.append("torchaudio")
        if release is not None and release["torchaudio"]:
            install.append(f"torchaudio=={release['torchaudio']}.*")
    return install, uninstall


def install_fix(
    doc: Doc,
    facts: Doc,
    release: Doc,
    variant: Doc | None,
    *,
    title: Doc,
    reason: list[Doc],
    expect: str | None,
    primary: bool = True,
    steps: list[Doc] | None = None,
    force: bool = False,
) -> list[Doc]:
    """The install fix for one release and variant (None: PyPI's default build, macOS)."""
    install, uninstall = _packages(doc, release, release["torch"])
    if force:
        uninstall = []
    name = variant["name"] if variant else None
    target = {
        "torch": release["torch"],
        "variant": name,
        "kind": variant["kind"] if variant else "default",
        "cuda": variant.get("cuda") if variant else None,
        "index_url": index_url(facts, name) if name else None,
        "torchvision": release["torchvision"]
        if (doc.get("environment") or {}).get("torchvision")
        else None,
    }
    action = {
        "install": install,
        "uninstall": uninstall,
        "index_url": target["index_url"],
        "force": force,
        "target": target,
    }
    tool = installer_for(doc)
    fixes = []
    if tool == "pixi":
        commands, cell = render(doc, action, "pixi")
        fixes.append(
            _fix(
                title,
                [*reason, because("pixi-manages")],
                commands,
                cell,
                "pixi",
                target,
                expect,
                primary,
                steps,
            )
        )
        return fixes
    conda_torch = (doc.get("environment") or {}).get("torch_installer") == "conda"
    pip_tool = "uv" if tool == "uv" else "pip"
    pip_commands, pip_cell = render(doc, action, pip_tool)
    channel = facts["conda"]["pytorch_channel_last"]
    if tool == "conda":
        forge_commands, forge_cell = render(doc, action, "conda-forge")
        if conda_torch:
            fixes.append(
                _fix(
                    title,
                    [*reason, because("conda-stay-forge")],
                    forge_commands,
                    forge_cell,
                    "conda-forge",
                    target,
                    expect,
                    primary,
                    steps,
                )
            )
            fixes.append(
                _fix(
                    _suffixed(title, "pip"),
                    [because("conda-or-pip", channel=channel)],
                    pip_commands,
                    pip_cell,
                    "pip",
                    target,
                    expect,
                    False,
                    steps,
                )
            )
        else:
            fixes.append(
                _fix(
                    title,
                    [*reason, because("conda-with-pip", channel=channel)],
                    pip_commands,
                    pip_cell,
                    "pip",
                    target,
                    expect,
                    primary,
                    steps,
                )
            )
            fixes.append(
                _fix(
                    _suffixed(title, "conda-forge"),
                    [because("conda-or-forge")],
                    forge_commands,
                    forge_cell,
                    "conda-forge",
                    target,
                    expect,
                    False,
                    steps,
                )
            )
        return fixes
    fixes.append(
        _fix(title, reason, pip_commands, pip_cell, pip_tool, target, expect, primary, steps)
    )
    return fixes


def _fix(
    title: Doc,
    reason: list[Doc],
    commands: list[Doc],
    cell: str | None,
    installer: str | None,
    target: Doc | None,
    expect: str | None,
    primary: bool,
    steps: list[Doc] | None = None,
) -> Doc:
    """One fix: ``title``, ``reason`` and ``steps`` in English, and the same as codes under
    ``i18n`` (the reason as its sentences, joined by a space in English)."""
    steps = list(steps or [])
    key = {"code": title["code"], "args": title["args"]}
    if title.get("suffix"):
        key["suffix"] = title["suffix"]
    return {
        "title": title["text"],
        "reason": " ".join(part["text"] for part in reason),
        "primary": primary,
        "steps": [step["text"] for step in steps],
        "i18n": {
            "title": key,
            "steps": [{"code": step["code"], "args": step["args"]} for step in steps],
            "reason": [{"code": part["code"], "args": part["args"]} for part in reason],
        },
        "commands": commands,
        "cell": cell,
        "installer": installer,
        "target": target,
        "expect": expect,
    }


def manual_fix(title: Doc, reason: list[Doc], steps: list[Doc], expect: str | None = None) -> Doc:
    return _fix(title, reason, [], None, None, None, expect, True, steps)


# --------------------------------------------------------------------------- planning


def _gpu_capabilities(doc: Doc) -> list[str | None]:
    cuda = doc["cuda"]
    if cuda["devices"]:
        return [dev["capability"] for dev in cuda["devices"]]
    return [gpu.get("capability") for gpu in cuda["nvml_gpus"]]


def _gpu_names(doc: Doc) -> str:
    cuda = doc["cuda"]
    gpus = cuda["devices"] or cuda["nvml_gpus"]
    return (
        ", ".join(
            f"{gpu['name']} ({gpu['capability']})" if gpu.get("capability") else gpu["name"]
            for gpu in gpus
        )
        or "the NVIDIA GPU"
    )


def _python_release(doc: Doc) -> str | None:
    return release_of(doc["python"].get("version"))


def _fits_python(release: Doc, doc: Doc) -> bool:
    python = _python_release(doc)
    return python is None or python in release["python"]


def _variant_fits(
    facts: Doc, variant: Doc, caps: list[str | None], doc: Doc, platform: str | None
) -> tuple[bool, bool | None]:
    """(has code for every GPU, runs on the driver)."""
    cuda = doc["cuda"]
    known = [cap for cap in caps if cap]
    code = all(variant_has_code(facts, variant["cuda"], cap, platform) for cap in known)
    driver = variant_runs_on_driver(
        facts,
        variant["cuda"],
        cuda["driver_cuda_version"],
        cuda["driver_version"],
        doc["python"].get("os"),
    )
    return code, driver


def plan_cuda(doc: Doc, facts: Doc, installed: str | None) -> list[Doc]:
    """Fixes that give this kernel a torch with CUDA for its GPUs (see docs/install-doctor.md)."""
    platform = platform_key(doc["python"])
    caps = _gpu_capabilities(doc)
    names = _gpu_names(doc)
    cuda = doc["cuda"]
    driver_text = driver_phrase(cuda["driver_version"], cuda["driver_cuda_version"])
    as_of = facts["as_of"]
    os_name = doc["python"].get("os")
    expect = "cuda:0"
    if platform not in ("linux-x86_64", "windows-x86_64"):
        return [
            manual_fix(
                say("pick-cuda-build", "Pick the CUDA build on pytorch.org"),
                [because("facts-cover-cuda-platforms", platform=platform or "?", as_of=as_of)],
                [
                    say(
                        "choose-build",
                        f"Choose the build on {SELECTOR} for {names} and the {driver_text}.",
                        url=SELECTOR,
                        gpus=names,
                        **_driver_args(cuda),
                    )
                ],
                expect,
            )
        ]
    candidates = [row for row in releases_newest_first(facts) if _fits_python(row, doc)]
    fixes: list[Doc] = []
    if installed and is_newer_than_known(facts, installed):
        fixes.append(
            manual_fix(
                say(
                    "torch-newer-than-known",
                    f"torch {installed} is newer than this product knows",
                    torch=installed,
                ),
                [because("torch-newer-cuda-unknown", torch=installed, as_of=as_of)],
                [
                    say(
                        "choose-its-build",
                        f"Choose its CUDA build on {SELECTOR} for {names} and the {driver_text}.",
                        url=SELECTOR,
                        gpus=names,
                        **_driver_args(cuda),
                    )
                ],
                expect,
            )
        )
    elif installed and find_release(facts, installed) is None:
        fixes.append(
            manual_fix(
                say(
                    "torch-not-in-table",
                    f"torch {installed} is not in this product's table",
                    torch=installed,
                ),
                [because("torch-older-than-known", torch=installed, as_of=as_of)],
                [
                    say(
                        "choose-its-build-or-newer",
                        f"Choose its CUDA build on {SELECTOR}, or install a newer torch (below).",
                        url=SELECTOR,
                    )
                ],
                expect,
            )
        )
    if not candidates:
        python = doc["python"].get("version")
        return fixes + [
            manual_fix(
                say(
                    "no-release-for-python",
                    f"No known torch release supports Python {python}",
                    python=python,
                ),
                [because("no-wheels-for-python", python=python, as_of=as_of)],
                [
                    say(
                        "use-supported-python",
                        f"Use a Python that {newest_known(facts)} supports, or see {SELECTOR}.",
                        torch=newest_known(facts),
                        url=SELECTOR,
                    )
                ],
                expect,
            )
        ]

    def with_code(row: Doc) -> list[Doc]:
        return [
            v
            for v in _usable_cuda_variants(row, facts, platform)
            if _variant_fits(facts, v, caps, doc, platform)[0]
        ]

    def fitting(row: Doc) -> list[Doc]:
        return [
            v
            for v in with_code(row)
            if _variant_fits(facts, v, caps, doc, platform)[1] is not False
        ]

    current = find_release(facts, installed) if installed else None
    target = current if current is not None and with_code(current) else None
    moved = False
    if target is None:
        target = next((row for row in candidates if with_code(row)), None)
        moved = current is not None
    if target is None:
        known = ", ".join(cap for cap in caps if cap) or "unknown"
        return fixes + [
            manual_fix(
                say("no-cuda-build-for-gpu", "No PyTorch CUDA build supports this GPU"),
                [because("no-code-for-capability", gpus=names, capability=known, as_of=as_of)],
                [
                    say(
                        "older-releases-may-support",
                        f"Older torch releases may still support it; see {SELECTOR}.",
                        url=SELECTOR,
                    )
                ],
                None,
            )
        ]
    release = target["torch"]
    why_release = [because("release-moved", torch=installed)] if moved else []
    if fixes:  # newer/older than known: the known-release plan is the alternative
        why_release = [because("newest-known-with-build", gpus=names)]
    driver_args = _driver_args(cuda)
    good = fitting(target)
    if good:
        variant = good[0]
        reason = [
            because(
                "newest-build-for-gpu",
                variant=variant["name"],
                torch=release,
                gpus=names,
                **driver_args,
            ),
            *why_release,
        ]
        if caps and not all(caps):
            reason.append(because("capability-unread"))
        if version_tuple(cuda["driver_cuda_version"] or "") and (
            version_tuple(variant["cuda"]) > version_tuple(cuda["driver_cuda_version"])
        ):
            reason.append(
                because(
                    "minor-version-compatible",
                    cuda=variant["cuda"],
                    driver_cuda=cuda["driver_cuda_version"],
                )
            )
        return fixes + install_fix(
            doc,
            facts,
            target,
            variant,
            title=say(
                "install-torch-cuda",
                f"Install torch {release} for CUDA {variant['cuda']} ({variant['name']})",
                torch=release,
                cuda=variant["cuda"],
                variant=variant["name"],
            ),
            reason=reason,
            expect=expect,
            primary=not fixes,
        )
    # The target release has code for the GPU, but not for this driver: update the driver.
    variant = with_code(target)[0]
    known_minimum = min_driver(facts, variant["cuda"], os_name)
    minimum = known_minimum or "a newer version"
    dropped = [v["name"] for v in target["variants"] if v["kind"] == "cuda"]
    steps = [
        say(
            "update-driver-restart",
            f"Update the NVIDIA driver to {minimum} or newer (it must support CUDA "
            f"{variant['cuda']}), then restart the machine.",
            driver=known_minimum,
            cuda=variant["cuda"],
        )
    ]
    reason = [
        because(
            "only-build-needs-driver",
            torch=release,
            variants=", ".join(dropped),
            variant=variant["name"],
            gpus=names,
            cuda=variant["cuda"],
            **driver_args,
        ),
        *why_release,
    ]
    fixes += install_fix(
        doc,
        facts,
        target,
        variant,
        title=say(
            "update-driver-then-install",
            f"Update the NVIDIA driver to {minimum} or newer, then install torch {release} for "
            f"CUDA {variant['cuda']} ({variant['name']})",
            driver=known_minimum,
            torch=release,
            cuda=variant["cuda"],
            variant=variant["name"],
        ),
        reason=reason,
        expect=expect,
        primary=True,
        steps=steps,
    )
    older = next((row for row in candidates if fitting(row)), None)
    if older is not None:
        alt = fitting(older)[0]
        fixes += install_fix(
            doc,
            facts,
            older,
            alt,
            title=say(
                "keep-driver-install",
                f"Or keep the driver: torch {older['torch']} for CUDA {alt['cuda']} "
                f"({alt['name']})",
                torch=older["torch"],
                cuda=alt["cuda"],
                variant=alt["name"],
            ),
            reason=[
                because(
                    "keep-driver-release",
                    torch=older["torch"],
                    variant=alt["name"],
                    gpus=names,
                    **driver_args,
                )
            ],
            expect=expect,
            primary=False,
        )
    return fixes


def plan_cpu(doc: Doc, facts: Doc, installed: str | None, why: list[Doc]) -> list[Doc]:
    """Install the CPU build (no GPU to use)."""
    platform = platform_key(doc["python"])
    if platform == "macos-x86_64":
        return plan_intel_mac(doc, facts)
    row = find_release(facts, installed) if installed else None
    if row is None:
        row = next((r for r in releases_newest_first(facts) if _fits_python(r, doc)), None)
    if row is None:
        return [
            manual_fix(
                say("no-release-for-this-python", "No known torch release supports this Python"),
                [because("data-as-of", as_of=facts["as_of"])],
                [say("see-selector", SELECTOR, url=SELECTOR)],
            )
        ]
    if platform and platform.startswith("macos"):
        return install_fix(
            doc,
            facts,
            row,
            None,
            title=say("install-torch", f"Install torch {row['torch']}", torch=row["torch"]),
            reason=why,
            expect="cpu",
        )
    cpu = next(v for v in row["variants"] if v["kind"] == "cpu")
    return install_fix(
        doc,
        facts,
        row,
        cpu,
        title=say(
            "install-torch-cpu-build",
            f"Install torch {row['torch']} (CPU build)",
            torch=row["torch"],
        ),
        reason=[*why, because("cpu-build-smaller")],
        expect="cpu",
    )


def plan_intel_mac(doc: Doc, facts: Doc) -> list[Doc]:
    intel = facts["intel_mac"]
    last = intel["last_torch"]
    why = [because("intel-mac-last-torch", torch=last)]
    python = _python_release(doc)
    if python is not None and python not in intel["python"]:
        return [
            manual_fix(
                say(
                    "no-wheel-intel-mac",
                    f"No torch wheel for Python {python} on an Intel Mac",
                    python=python,
                ),
                [
                    *why,
                    because("intel-mac-pythons", torch=last, pythons=", ".join(intel["python"])),
                ],
                [
                    say(
                        "use-older-python-intel-mac",
                        f"Use Python {intel['python'][-1]} or older for this kernel, then torch "
                        f"{last}.",
                        python=intel["python"][-1],
                        torch=last,
                    )
                ],
                "cpu",
            )
        ]
    release = {
        "torch": release_of(last),
        "torchvision": intel["torchvision"],
        "torchaudio": release_of(last),
        "variants": [],
    }
    fixes = install_fix(
        doc,
        facts,
        release,
        None,
        title=say("install-torch-cpu", f"Install torch {last} (CPU)", torch=last),
        reason=why,
        expect="cpu",
    )
    for fix in fixes:  # exact pin: 2.2.2 is the last, not 2.2.*
        for command in fix["commands"]:
            command["command"] = command["command"].replace("torch==2.2.*", f"torch=={last}")
        if fix["cell"]:
            fix["cell"] = fix["cell"].replace("torch==2.2.*", f"torch=={last}")
    return fixes


def plan_mps(doc: Doc, facts: Doc, installed: str | None) -> list[Doc]:
    python, mps = doc["python"], doc["mps"]
    macos = mps.get("macos_version")
    if python.get("rosetta"):
        return [
            manual_fix(
                say("use-native-arm64-python", "Use a native arm64 Python"),
                [because("python-under-rosetta")],
                [
                    say(
                        "install-arm64-python",
                        "Install an arm64 Python (python.org's universal2 installer or Miniforge "
                        "for arm64), create the environment with it, install torch there, run the "
                        "kernel from it.",
                    )
                ],
                "mps",
            )
        ]
    if (python.get("machine") or "") != "arm64":
        return plan_intel_mac(doc, facts)
    candidates = [row for row in releases_newest_first(facts) if _fits_python(row, doc)]
    target = find_release(facts, installed) if installed else None
    if installed and is_newer_than_known(facts, installed):
        return [
            manual_fix(
                say(
                    "torch-newer-than-known",
                    f"torch {installed} is newer than this product knows",
                    torch=installed,
                ),
                [
                    because(
                        "torch-newer-mps-unknown",
                        torch=installed,
                        as_of=facts["as_of"],
                        newest=newest_known(facts),
                    )
                ],
                [
                    say(
                        "update-macos-newest",
                        f"Update macOS to the newest version, or see {SELECTOR}.",
                        url=SELECTOR,
                    )
                ],
                "mps",
            )
        ]
    if target is None:
        target = candidates[0] if candidates else None
    if target is None:
        return [
            manual_fix(
                say("no-release-for-this-python", "No known torch release supports this Python"),
                [because("data-as-of", as_of=facts["as_of"])],
                [say("see-selector", SELECTOR, url=SELECTOR)],
                "mps",
            )
        ]
    needed = mps_macos_needed(facts, target["torch"])
    fixes: list[Doc] = []
    if needed and not _at_least(macos, needed):
        fixes.append(
            manual_fix(
                say("update-macos", f"Update macOS to {needed} or newer", macos=needed),
                [because("torch-needs-macos", torch=target["torch"], needed=needed, macos=macos)],
                [
                    say(
                        "update-macos-restart",
                        f"Update macOS to {needed} or newer (System Settings, General, "
                        "Software Update), then restart the kernel.",
                        macos=needed,
                    )
                ],
                "mps",
            )
        )
        if not doc["torch"]["installed"]:
            fixes += install_fix(
                doc,
                facts,
                target,
                None,
                title=say(
                    "then-install-torch",
                    f"then install torch {target['torch']}",
                    torch=target["torch"],
                ),
                reason=[because("after-macos-update")],
                expect="mps",
                primary=False,
            )
        older = next(
            (
                row
                for row in candidates
                if _at_least(macos, mps_macos_needed(facts, row["torch"]) or "99")
            ),
            None,
        )
        if older is not None:
            fixes += install_fix(
                doc,
                facts,
                older,
                None,
                title=say(
                    "keep-macos-install",
                    f"Or keep macOS {macos}: install torch {older['torch']}",
                    macos=macos,
                    torch=older["torch"],
                ),
                reason=[
                    because(
                        "keep-macos-release",
                        torch=older["torch"],
                        macos=macos,
                        needed=mps_macos_needed(facts, older["torch"]),
                    )
                ],
                expect="mps",
                primary=False,
            )
        return fixes
    if not doc["torch"]["installed"]:
        return install_fix(
            doc,
            facts,
            target,
            None,
            title=say("install-torch", f"Install torch {target['torch']}", torch=target["torch"]),
            reason=[because("pypi-arm64-has-mps")],
            expect="mps",
        )
    return [
        manual_fix(
            say("update-torch-and-macos", "Update torch and macOS"),
            [because("macos-meets-no-mps", macos=macos, torch=target["torch"], needed=needed)],
            [
                say(
                    "update-macos-and-torch",
                    "Update macOS and torch to their latest versions, then restart the kernel.",
                )
            ],
            "mps",
        )
    ]


def _torch_missing(doc: Doc, facts: Doc) -> list[Doc]:
    platform = platform_key(doc["python"])
    if platform and platform.startswith("macos"):
        return plan_mps(doc, facts, None)
    if doc["cuda"]["nvidia_gpu_detected"]:
        return plan_cuda(doc, facts, None)
    return plan_cpu(doc, facts, None, [because("no-nvidia-gpu-cpu-build")])


def _reinstall(doc: Doc, facts: Doc) -> list[Doc]:
    env = doc.get("environment") or {}
    version = env.get("torch_dist_version")
    release = find_release(facts, release_of(version))
    variant_name = env.get("torch_variant")
    if release is None:
        release = {
            "torch": release_of(version),
            "torchvision": None,
            "torchaudio": None,
            "variants": [],
        }
    variant = next((v for v in release["variants"] if v["name"] == variant_name), None)
    return install_fix(
        doc,
        facts,
        release,
        variant,
        title=say(
            "reinstall-torch",
            f"Reinstall torch {release['torch'] or ''}".strip(),
            torch=release["torch"],
        ),
        reason=[because("reinstall-same-build")],
        expect=None,
        force=True,
    )


def _companion_diagnostics(doc: Doc, facts: Doc) -> list[Doc]:
    """torchvision / torchaudio that do not match the installed torch release."""
    env = doc.get("environment") or {}
    release_name = release_of(env.get("torch_dist_version") or doc["torch"]["version"])
    release = find_release(facts, release_name)
    found = []
    vision = env.get("torchvision")
    if vision and release is not None and release_of(vision) != release["torchvision"]:
        fixes = install_fix(
            doc,
            facts,
            release,
            _current_variant(doc, release),
            title=say(
                "install-matching-torchvision",
                f"Install the matching pair: torch {release['torch']} with torchvision "
                f"{release['torchvision']}",
                torch=release["torch"],
                torchvision=release["torchvision"],
            ),
            reason=[because("torchvision-pair")],
            expect=None,
        )
        found.append(
            _diag(
                "torchvision-mismatch",
                "error",
                f"torchvision {vision} does not match torch {release['torch']} (it needs "
                f"torchvision {release['torchvision']}); importing it fails with "
                '"operator torchvision::nms does not exist" or similar.',
                fixes,
            )
        )
    audio = env.get("torchaudio")
    if audio and release is not None and release_of(audio) != release["torchaudio"]:
        if release["torchaudio"]:
            fixes = install_fix(
                doc,
                facts,
                release,
                _current_variant(doc, release),
                title=say(
                    "install-matching-torchaudio",
                    f"Install torchaudio {release['torchaudio']} with torch {release['torch']}",
                    torchaudio=release["torchaudio"],
                    torch=release["torch"],
                ),
                reason=[because("torchaudio-must-match")],
                expect=None,
            )
            text = (
                f"torchaudio {audio} does not match torch {release['torch']} (it needs "
                f"torchaudio {release['torchaudio']})."
            )
        else:
            fixes = [
                manual_fix(
                    say("uninstall-torchaudio", "Uninstall torchaudio, or use torch 2.11 with it"),
                    [because("torchaudio-last-2-11", torch=release["torch"])],
                    [
                        say(
                            "uninstall-torchaudio-or-2-11",
                            "Uninstall torchaudio if you do not need it, or install torch 2.11 "
                            "with torchaudio 2.11.",
                        )
                    ],
                )
            ]
            text = (
                f"torchaudio {audio} is installed, but no torchaudio release matches torch "
                f"{release['torch']} (torchaudio's last release is 2.11)."
            )
        found.append(_diag("torchaudio-mismatch", "warning", text, fixes))
    return found


def _current_variant(doc: Doc, release: Doc) -> Doc | None:
    name = (doc.get("environment") or {}).get("torch_variant")
    return next((v for v in release["variants"] if v["name"] == name), None)


def _diag(code: str, severity: str, message: str, fixes: list[Doc]) -> Doc:
    return {
        "code": code,
        "severity": severity,
        "message": message,
        "fix": summary(fixes),
        "fixes": fixes,
        "row": None,
    }


def summary(fixes: list[Doc]) -> str | None:
    """The primary fix as one paragraph of text (the diagnostic's ``fix``)."""
    primary = [fix for fix in fixes if fix["primary"]] or fixes
    if not primary:
        return None
    fix = primary[0]
    parts = [fix["title"] + "."] + fix["steps"]
    shell = next((c for c in fix["commands"] if c["shell"] != "notebook"), None)
    if shell:
        parts.append("Run: " + shell["command"].replace("\n", " ; "))
    if fix["commands"]:
        parts.append("Then restart the kernel.")
    return " ".join(parts)


def fixes_for(diagnostic: Doc, doc: Doc, facts: Doc) -> list[Doc]:
    code = diagnostic["code"]
    installed = release_of(doc["torch"]["version"])
    cuda = doc["cuda"]
    if code == "torch-missing":
        return _torch_missing(doc, facts)
    if code == "torch-import-failed":
        return _reinstall(doc, facts)
    if code in ("cpu-only-build", "arch-unsupported"):
        return plan_cuda(doc, facts, installed)
    if code == "cuda-unavailable":
        if doc["torch"]["hip"]:
            return [
                manual_fix(
                    say("check-rocm-driver", "Check the ROCm driver"),
                    [because("rocm-needs-driver")],
                    [
                        say(
                            "install-rocm-driver",
                            "Install the ROCm driver and add your user to the render and "
                            "video groups, then restart the kernel.",
                        )
                    ],
                    "cuda:0",
                )
            ]
        driver_v = version_tuple(cuda["driver_cuda_version"])
        build_v = version_tuple(doc["torch"]["cuda_build"])
        if driver_v and build_v and driver_v[0] < build_v[0]:
            return plan_cuda(doc, facts, installed)
        return [
            manual_fix(
                say("see-cause-above", "See the cause above"),
                # The probe's own diagnosis and advice, in English (translated above by code).
                [because("probe-cause", text=diagnostic["message"])],
                # The probe's own advice, in English (its code: the diagnosis above).
                [say("probe-advice", diagnostic["fix"])] if diagnostic["fix"] else [],
                "cuda:0",
            )
        ]
    if code == "driver-old":
        build = doc["torch"]["cuda_build"]
        minimum = min_driver(facts, build, doc["python"].get("os")) if build else None
        return [
            manual_fix(
                say("optionally-update-driver", "Optionally update the NVIDIA driver"),
                [because("driver-minor-compatible", cuda=build, minimum=minimum)],
                [
                    say(
                        "update-driver-for-cuda",
                        f"Update the NVIDIA driver to one that supports CUDA {build} or newer.",
                        cuda=build,
                    )
                ],
            )
        ]
    if code == "mps-unavailable":
        return plan_mps(doc, facts, installed)
    if code == "cpu-only" and platform_key(doc["python"]) == "macos-x86_64":
        return [
            manual_fix(
                say("cpu-on-intel-mac", "The CPU is the device on an Intel Mac"),
                [because("intel-mac-no-mps", torch=facts["intel_mac"]["last_torch"])],
                [],
            )
        ]
    return []


def advise(doc: Doc, facts: Doc) -> Doc:
    """New diagnostics (each with ``fixes``) and the facts summary for the probe document."""
    diagnostics = []
    for item in doc["diagnostics"]:
        fixes = fixes_for(item, doc, facts)
        updated = dict(item)
        updated["fixes"] = fixes
        if (
            item["code"] == "mps-unavailable"
            and fixes
            and fixes[0]["title"].startswith("Update macOS")
        ):
            updated["message"] = (
                "This torch supports MPS (Apple GPU), but MPS is not available: "
                + fixes[0]["reason"]
                + " (torch 2.9 and later leave MPS off on macOS 13 although its error text says"
                " 13.0+)."
            )
            first = fixes[0]["i18n"]["reason"][0]
            if first["code"] == "torch-needs-macos":
                updated["row"] = because("row-torch-needs-macos", **first["args"])
        if fixes and item["code"] not in ("cuda-unavailable",):
            updated["fix"] = summary(fixes) or item["fix"]
        diagnostics.append(updated)
    if doc["torch"]["installed"]:
        diagnostics += _companion_diagnostics(doc, facts)
    installed = release_of(doc["torch"]["version"])
    return {
        "diagnostics": diagnostics,
        "facts": {
            "as_of": facts["as_of"],
            "newest_release": newest_known(facts),
            "torch_release_known": None
            if installed is None
            else find_release(facts, installed) is not None,
            "newer_than_known": bool(installed and is_newer_than_known(facts, installed)),
        },
    }
