"""Overhead of running the benchmark notebook under Jupyter (nbclient) vs as a plain script.

The same profile, device and data run alternately (a) through nbclient in an ipykernel on this
Python and (b) as the notebook's code cells concatenated into one script, run by this Python.
Both report `train_seconds` (the timed loop, as recorded in the result document); the ratio of
their medians is the notebook's overhead on the measurement (progress display, kernel I/O).

    .venv/bin/python bench/bench_overhead.py --scale 0.2
    .venv/bin/python bench/bench_overhead.py --device cuda:0 --profile seed
"""

from __future__ import annotations

import argparse
import importlib.util
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda:0, mps, ...")
    parser.add_argument("--profile", default="resident", choices=("seed", "resident", "quick"))
    parser.add_argument("--data-dir", type=Path, default=nbutil.SHARED_MNIST)
    parser.add_argument("--dataset", choices=("mnist", "synthetic"), default="mnist")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 60,000 samples/epoch")
    parser.add_argument("--epochs", type=int, help="override the profile's epochs")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind (alternating)")
    parser.add_argument("--threads", type=int, help="OMP_NUM_THREADS for both kinds of run")
    args = parser.parse_args(argv)

    epoch_samples = max(640, round(60000 * args.scale))
    if args.dataset == "synthetic":
        params = {"dataset": "synthetic", "train_size": epoch_samples, "test_size": 2000}
    else:
        train = min(8000, epoch_samples)
        params = {
            "data_dir": os.fspath(args.data_dir),
            "split_from_test": True,
            "train_size": train,
            "test_size": 2000,
            "repeat_to": epoch_samples if epoch_samples > train else None,
        }
    if args.epochs:
        params["epochs"] = args.epochs
    nb = nbutil.inject_parameters(nbutil.load_notebook(), profile=args.profile, **params)
    nb = nbutil.set_device(nb, args.device)

    times = {"nbclient": [], "script": []}
    walls = {"nbclient": [], "script": []}
    epochs = {"nbclient": [], "script": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.update(nbutil.isolated_jupyter_env(tmp / "jupyter"))
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        if args.threads:
            os.environ["OMP_NUM_THREADS"] = str(args.threads)
        print(f"profile {args.profile} on {args.device}; data {params}")
        for repeat in range(args.repeats):
            # Alternate which kind goes first, so drifts in machine load hit both alike.
            order = ("nbclient", "script") if repeat % 2 == 0 else ("script", "nbclient")
            for kind in order:
                start = time.perf_counter()
                if kind == "nbclient":
                    executed = nbutil.execute(nb, tmp, timeout=3600)
                    doc = nbutil.result_bundle(executed)[nbutil.RESULT_MIME]
                else:
                    doc = nbutil.run_as_script(nb, tmp)
                walls[kind].append(time.perf_counter() - start)
                times[kind].append(doc["train_seconds"])
                epochs[kind].extend(doc["epoch_seconds"])
                print(
                    f"  run {repeat + 1} {kind:<8} train {doc['train_seconds']:8.3f} s"
                    f"  (threads {doc['cpu']['threads']}, wall {walls[kind][-1]:.1f} s)",
                    flush=True,
                )

    print()
    print(
        f"{'kind':<9} {'median train s':>14} {'min':>9} {'max':>9} {'best epoch s':>13} "
        f"{'median wall s':>14}"
    )
    for kind in ("nbclient", "script"):
        t = times[kind]
        print(
            f"{kind:<9} {statistics.median(t):>14.3f} {min(t):>9.3f} {max(t):>9.3f} "
            f"{min(epochs[kind]):>13.4f} {statistics.median(walls[kind]):>14.2f}"
        )
    ratio = statistics.median(times["nbclient"]) / statistics.median(times["script"])
    best = min(times["nbclient"]) / min(times["script"])
    # The fastest single epoch of each kind is the figure least disturbed by other load.
    best_epoch = min(epochs["nbclient"]) / min(epochs["script"])
    print()
    print("nbclient / script (target <= 1.02):")
    print(f"  train_seconds median {ratio:.3f}, best run {best:.3f}; best epoch {best_epoch:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
