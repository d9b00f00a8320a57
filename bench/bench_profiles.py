"""Time the notebook's profiles side by side and check that `quick` ranks devices like full runs.

Each run executes the code of notebooks/mnist_bench.ipynb as a plain script in a fresh process
of this Python (parameters injected papermill-style, device cell rewritten as the extension's
picker does), and reads back its result document.

    .venv/bin/python bench/bench_profiles.py                       # full size (slow on a CPU)
    .venv/bin/python bench/bench_profiles.py --scale 0.1           # a quick look
    .venv/bin/python bench/bench_profiles.py --device cuda:0 --device cpu --repeats 3

Data: offline, only the real MNIST test split exists, so training uses its first 8,000 images,
repeated to 60,000 samples per epoch (times --scale), and evaluation its last 2,000.

Devices: each --device is DEVICE or DEVICE@THREADS (torch.set_num_threads). Without --device:
"cuda:0" and "cpu" when CUDA is available, otherwise the CPU with one thread and with all
logical cores, as two "devices" of different speed, so that ranking agreement can be checked
on a CPU-only machine. Runs are interleaved (device by device, repeat by repeat) so that drifts
in machine load hit all devices alike; figures are medians over --repeats.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

NBUTIL = Path(__file__).resolve().parents[1] / "jupyterlab_device_bench" / "tests" / "nbutil.py"
_spec = importlib.util.spec_from_file_location("nbutil", NBUTIL)
nbutil = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbutil)

PROFILES = ("seed", "resident", "quick")


def default_devices() -> list[str]:
    import torch

    if torch.cuda.is_available():
        return ["cuda:0", "cpu"]
    return ["cpu@1", f"cpu@{os.cpu_count() or 1}"]


def data_params(args) -> dict:
    """Notebook parameters for the data: the test split repeated to 60,000 x scale samples."""
    epoch_samples = max(640, round(60000 * args.scale))
    if args.dataset == "synthetic":
        return {"dataset": "synthetic", "train_size": epoch_samples, "test_size": 2000}
    train = min(8000, epoch_samples)
    return {
        "data_dir": os.fspath(args.data_dir),
        "split_from_test": True,
        "train_size": train,
        "test_size": 2000,
        "repeat_to": epoch_samples if epoch_samples > train else None,
    }


def run_one(device_spec: str, profile: str, params: dict, workdir: Path) -> dict:
    device, _, threads = device_spec.partition("@")
    nb = nbutil.load_notebook()
    nb = nbutil.set_device(nbutil.inject_parameters(nb, profile=profile, **params), device)
    start = time.perf_counter()
    doc = nbutil.run_as_script(nb, workdir, threads=int(threads) if threads else None)
    doc["_wall_seconds"] = time.perf_counter() - start
    doc["_device_spec"] = device_spec
    return doc


def median(docs: list[dict], key: str) -> float:
    return statistics.median(doc[key] for doc in docs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", action="append", help="DEVICE or DEVICE@THREADS (repeat)")
    parser.add_argument("--data-dir", type=Path, default=nbutil.SHARED_MNIST)
    parser.add_argument("--dataset", choices=("mnist", "synthetic"), default="mnist")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 60,000 samples/epoch")
    parser.add_argument("--profiles", default=",".join(PROFILES))
    parser.add_argument("--repeats", type=int, default=1, help="runs of each device and profile")
    parser.add_argument("--json", type=Path, help="also write all result documents here")
    args = parser.parse_args(argv)

    devices = args.device or default_devices()
    profiles = [p for p in args.profiles.split(",") if p]
    params = data_params(args)
    print(f"data: {params}; devices: {devices}; repeats: {args.repeats}")
    runs: dict[tuple[str, str], list[dict]] = {(d, p): [] for d in devices for p in profiles}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for profile in profiles:
                for device in devices if repeat % 2 == 0 else devices[::-1]:
                    doc = run_one(device, profile, params, Path(tmp))
                    runs[device, profile].append(doc)
                    print(
                        f"  ran {profile:<8} on {device:<8} train {doc['train_seconds']:8.2f} s"
                        f"  steady epoch {doc['steady_epoch_seconds']:7.3f} s"
                        f"  wall {doc['_wall_seconds']:7.2f} s",
                        flush=True,
                    )

    header = (
        f"{'device':<8} {'thr':>3} {'profile':<8} {'epochs':>6} {'train s':>9} "
        f"{'steady s':>9} {'samples/s':>10} {'spread':>7} {'acc %':>6} {'wall s':>8}"
    )
    print()
    print(header)
    print("-" * len(header))
    for (device, profile), docs in runs.items():
        rates = [doc["samples_per_second"] for doc in docs]
        spread = (max(rates) - min(rates)) / statistics.median(rates)
        print(
            f"{device:<8} {docs[0]['cpu']['threads']:>3} {profile:<8} "
            f"{docs[0]['settings']['epochs']:>6} {median(docs, 'train_seconds'):>9.2f} "
            f"{median(docs, 'steady_epoch_seconds'):>9.3f} {statistics.median(rates):>10,.0f} "
            f"{100 * spread:>6.0f}% {100 * median(docs, 'accuracy'):>6.2f} "
            f"{median(docs, '_wall_seconds'):>8.2f}"
        )

    print()
    for device in devices:
        if {"seed", "resident"} <= set(profiles):
            seed, resident = runs[device, "seed"], runs[device, "resident"]
            total = median(seed, "train_seconds") / median(resident, "train_seconds")
            steady = median(seed, "steady_epoch_seconds") / median(resident, "steady_epoch_seconds")
            print(
                f"{device}: resident is {total:.2f}x faster than seed "
                f"(steady epoch {steady:.2f}x; target >= 3x)"
            )
        if "quick" in profiles:
            quick = runs[device, "quick"]
            for full in ("resident", "seed"):
                if full in profiles:
                    other = runs[device, full]
                    phase = median(quick, "train_seconds") / median(other, "train_seconds")
                    whole = median(quick, "_wall_seconds") / median(other, "_wall_seconds")
                    print(
                        f"{device}: quick / {full}: timed loop {phase:.3f}, "
                        f"whole process {whole:.3f} (target <= 0.1)"
                    )

    if len(devices) > 1 and "quick" in profiles:
        # Ranking by steady-state samples/s (median over repeats). A disagreement only counts
        # when the full profile's devices differ by more than their run-to-run spread.
        def rank(profile):
            rate = {d: median(runs[d, profile], "samples_per_second") for d in devices}
            return sorted(devices, key=lambda d: -rate[d]), rate

        def spread(profile, device):
            rates = [doc["samples_per_second"] for doc in runs[device, profile]]
            return (max(rates) - min(rates)) / statistics.median(rates)

        print()
        quick_rank, quick_rate = rank("quick")
        print(f"ranking by quick:    {' > '.join(quick_rank)}")
        verdicts = []
        for full in ("resident", "seed"):
            if full not in profiles:
                continue
            full_rank, rate = rank(full)
            gap = rate[full_rank[0]] / rate[full_rank[-1]] - 1
            noise = max(spread(full, d) for d in devices)
            if full_rank == quick_rank:
                verdict = "agrees"
            elif args.repeats > 1 and gap <= noise:
                verdict = (
                    f"differs, within noise (gap {100 * gap:.0f}% <= spread {100 * noise:.0f}%)"
                )
            else:
                verdict = f"DISAGREES (gap {100 * gap:.0f}%)"
            verdicts.append(verdict)
            print(f"ranking by {full + ':':<9} {' > '.join(full_rank)}  {verdict}")
        ratio = quick_rate[quick_rank[0]] / quick_rate[quick_rank[-1]]
        print(f"quick: fastest / slowest device {ratio:.2f}x")
        ok = all(not v.startswith("DISAGREES") for v in verdicts)
        print(f"ranking agreement: {'yes' if ok else 'NO'}")

    if args.json:
        flat = [doc for docs in runs.values() for doc in docs]
        args.json.write_text(json.dumps(flat, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
