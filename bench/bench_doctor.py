"""What the install doctor costs, measured against a plain ``python -c "import torch"``.

Fresh processes of this venv's Python, run in turn (round robin, ``--repeats`` rounds):

- **import torch**: ``python -c "import torch"``, the yardstick;
- **probe before the doctor**: the probe as it was before the install doctor landed (``probe.py``
  of the commit before b9bcf3a, from git), run as a script: what a cold first probe cost;
- **probe with the doctor**: today's ``probe.py`` as a script (it reads doctor.py and
  install_facts.json beside it and plans the fixes): a cold first probe (import torch included);
- **doctor CLI**: ``python -m jupyterlab_device_bench doctor --json``.

Targets (issue 12): the cold probe and the doctor CLI at most 1.2x ``import torch``. Printed:
medians and best of each kind, the ratio of the medians and the median of each round's ratio
(runs of one round are seconds apart, so load shared by the machine cancels better). On a busy
machine whole-process times swing by seconds; so the same work is also split inside one
process: ``import torch``, then the rest of a cold probe / of the doctor CLI (the package import,
the probe, the fix plans, printing), which gives (torch + rest) / torch with little noise.
``--nvml-dir`` puts a folder with a (fake) ``libnvidia-ml.so.1`` on ``LD_LIBRARY_PATH`` of each run.

    .venv/bin/python bench/bench_doctor.py --repeats 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_COMMIT = "b9bcf3a^"  # the commit before the install doctor


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, timeout=300, check=False)
    elapsed = time.perf_counter() - started
    # doctor exits 1 when something needs fixing (a CPU-only torch does): both are answers.
    if done.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


SPLIT = r"""
import sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
if sys.argv[1] == "probe":
    import runpy
    runpy.run_path(sys.argv[2], run_name="__main__")
else:
    import runpy
    sys.argv = ["jupyterlab_device_bench", "doctor", "--json"]
    try:
        runpy.run_module("jupyterlab_device_bench", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
t2 = time.perf_counter()
sys.stderr.write(f"SPLIT {t1 - t0:.6f} {t2 - t1:.6f}\n")
"""


def split(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    line = [x for x in done.stderr.splitlines() if x.startswith("SPLIT ")]
    if not line:
        raise SystemExit(f"{argv} printed no split: {done.stderr[-500:]}")
    torch_s, rest_s = map(float, line[-1].split()[1:])
    return torch_s, rest_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--nvml-dir", help="a folder holding libnvidia-ml.so.1")
    args = parser.parse_args()

    python = sys.executable
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["OMP_NUM_THREADS"] = "1"
    if args.nvml_dir:
        env["LD_LIBRARY_PATH"] = args.nvml_dir
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "probe_before.py"
        text = subprocess.run(
            ["git", "show", f"{BEFORE_COMMIT}:jupyterlab_device_bench/probe.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        before.write_text(text, encoding="utf-8")
        kinds = {
            "import torch": [python, "-c", "import torch"],
            "probe before the doctor": [python, str(before)],
            "probe with the doctor": [python, str(ROOT / "jupyterlab_device_bench" / "probe.py")],
            "doctor CLI (--json)": [python, "-m", "jupyterlab_device_bench", "doctor", "--json"],
        }
        for argv in kinds.values():  # warm the file cache once
            timed(argv, env)
        times: dict[str, list[float]] = {name: [] for name in kinds}
        splits: dict[str, list[tuple[float, float]]] = {"probe": [], "doctor": []}
        probe_py = str(ROOT / "jupyterlab_device_bench" / "probe.py")
        for _ in range(args.repeats):
            for name, argv in kinds.items():
                times[name].append(timed(argv, env))
            splits["probe"].append(split([python, "-c", SPLIT, "probe", probe_py], env))
            splits["doctor"].append(split([python, "-c", SPLIT, "doctor"], env))

    base = statistics.median(times["import torch"])
    print(f"\nInstall doctor cost, fresh processes, {args.repeats} rounds (seconds)")
    print(f"  {'kind':<26} {'median':>8} {'best':>8} {'/ import torch':>15} {'per round':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        paired = statistics.median(v / b for v, b in zip(values, times["import torch"]))
        print(f"  {name:<26} {median:8.3f} {min(values):8.3f} {median / base:15.2f} {paired:10.2f}")
    print("\n  In one process: import torch, then the rest (seconds, medians)")
    for name, pairs in splits.items():
        torch_s = statistics.median(t for t, _ in pairs)
        rest_s = statistics.median(r for _, r in pairs)
        ratio = statistics.median((t + r) / t for t, r in pairs)
        label = "cold probe" if name == "probe" else "doctor CLI"
        print(
            f"  {label:<12} import torch {torch_s:6.3f}  rest {rest_s:6.3f}  "
            f"(torch + rest) / torch {ratio:5.3f}"
        )
    print("  targets: probe with the doctor and doctor CLI <= 1.20 x import torch")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  load average at the end: {load:.1f}")


if __name__ == "__main__":
    main()
