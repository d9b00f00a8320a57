"""Cost and accuracy of time-notebook's per-cell timing (celltiming.py), side by side.

A notebook of N timed cells (default 20) of about S seconds each (``time.sleep`` plus a small
torch operation on the device) runs alternately (ABBA order, fresh kernels)

(a) **plain**: nbclient alone, nothing installed;
(b) **timed**: as ``time-notebook`` runs it: the hooks installed by a silent request, the
    device synchronised at the end of every cell, each cell's entry returned through a
    ``user_expressions`` entry of that cell's own request (``--per-cell-request``: a silent
    ``take`` request after each cell instead), ``uninstall`` after the last.

Both are timed on this process's clock from just before the first timed cell is sent to just
after the last one (and, for (b), its bookkeeping) is done. Printed: the medians, the added cost
per timed cell and in percent; and, from (b), each cell's recorded time against the
``time.perf_counter()`` difference the cell itself printed.

    .venv/bin/python bench/bench_celltiming.py --cell-seconds 0.1 --repeats 5
    .venv/bin/python bench/bench_celltiming.py --device cuda:0 --cell-seconds 0.5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, os.fspath(Path(__file__).resolve().parents[1]))

from jupyterlab_device_bench import notebook_timing, records, runner  # noqa: E402


def make_notebook(cells: int, seconds: float, device: str) -> nbformat.NotebookNode:
    work = (
        "t0 = time.perf_counter()\n"
        f"time.sleep({seconds!r})\n"
        "x = torch.ones(64, 64, device=device) @ torch.ones(64, 64, device=device)\n"
        "print('inside', time.perf_counter() - t0)"
    )
    device_cell = nbformat.v4.new_code_cell(records.device_cell_source(device))
    device_cell.metadata["tags"] = [runner.DEVICE_TAG]
    timed = [nbformat.v4.new_code_cell(work) for _ in range(cells)]
    timed[0].metadata["tags"] = [notebook_timing.START_TAG]
    timed[-1].metadata["tags"] = [notebook_timing.STOP_TAG]
    return nbformat.v4.new_notebook(
        cells=[device_cell, nbformat.v4.new_code_cell("import time"), *timed]
    )


def run_plain(nb, kernel: str, cwd: Path, timed: set[int]) -> float:
    from nbclient import NotebookClient

    marks: dict[str, float] = {}
    client = NotebookClient(
        nb, kernel_name=kernel, resources={"metadata": {"path": os.fspath(cwd)}}
    )

    async def on_cell_execute(cell, cell_index):
        if cell_index in timed:
            marks.setdefault("start", time.perf_counter())

    async def on_cell_executed(cell, cell_index, execute_reply):
        if cell_index == max(timed):
            marks["end"] = time.perf_counter()

    client.on_cell_execute = on_cell_execute
    client.on_cell_executed = on_cell_executed
    notebook_timing._execute(client)
    return marks["end"] - marks["start"]


def run_timed(nb, kernel: str, cwd: Path, timed: set[int], device: str, attach: bool):
    run = notebook_timing._Run(
        source=notebook_timing.SOURCE_PATH.read_text(encoding="utf-8"),
        device=device,
        timed=timed,
        origin=list(range(len(nb.cells))),
        attach=attach,
    )
    client = notebook_timing._client(nb, kernel, None, cwd, run)
    marks: dict[str, float] = {}
    inner_execute, inner_executed = client.on_cell_execute, client.on_cell_executed

    async def on_cell_execute(cell, cell_index):
        if cell_index in timed:
            marks.setdefault("start", time.perf_counter())
        await inner_execute(cell, cell_index)

    async def on_cell_executed(cell, cell_index, execute_reply):
        await inner_executed(cell, cell_index, execute_reply)
        if cell_index == max(timed):
            marks["end"] = time.perf_counter()

    client.on_cell_execute = on_cell_execute
    client.on_cell_executed = on_cell_executed
    notebook_timing._execute(client)
    inside = {}
    for index in timed:
        text = "".join(o.get("text", "") for o in nb.cells[index].outputs)
        inside[index] = float(text.split()[-1])
    diffs = [run.entries[i]["seconds"] - inside[i] for i in sorted(timed)]
    syncs = [run.entries[i]["sync_seconds"] for i in sorted(timed)]
    return marks["end"] - marks["start"], diffs, syncs, run.bookkeeping / max(1, len(timed) - 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--cell-seconds", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind")
    parser.add_argument("--kernel", default="python3")
    parser.add_argument(
        "--per-cell-request",
        action="store_true",
        help="a silent take request after each cell instead of the take riding on the cell's "
        "own request (what a client that cannot add user_expressions to a cell must do)",
    )
    args = parser.parse_args(argv)
    device = records.validate_device(args.device)
    nb = make_notebook(args.cells, args.cell_seconds, device)
    timed = set(range(2, 2 + args.cells))
    plain: list[float] = []
    with_timing: list[float] = []
    diffs: list[float] = []
    syncs: list[float] = []
    takes: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        for repeat in range(args.repeats):
            order = ("plain", "timed") if repeat % 2 == 0 else ("timed", "plain")
            for kind in order:
                copy = nbformat.from_dict(nb)
                if kind == "plain":
                    plain.append(run_plain(copy, args.kernel, cwd, timed))
                else:
                    wall, d, s, take = run_timed(
                        copy, args.kernel, cwd, timed, device, not args.per_cell_request
                    )
                    takes.append(take)
                    with_timing.append(wall)
                    diffs += d
                    syncs += s
                last = (plain if kind == "plain" else with_timing)[-1]
                print(f"  run {repeat + 1} {kind:5}: {last:.3f} s", flush=True)
    mp, mt = statistics.median(plain), statistics.median(with_timing)
    added = (mt - mp) / args.cells
    print()
    print(
        f"{args.cells} cells of {args.cell_seconds} s on {device}, {args.repeats} runs of each "
        "kind, interleaved (ABBA), medians:"
    )
    print(f"  plain nbclient          {mp:8.3f} s")
    print(f"  timed (time-notebook)   {mt:8.3f} s")
    print(
        f"  added per timed cell    {1000 * added:8.2f} ms   (target <= 15 ms)\n"
        f"  added in total          {100 * (mt - mp) / mp:8.2f} %    (target <= 2 %)"
    )
    print(
        f"  device sync per cell    {1000 * statistics.median(syncs):8.3f} ms median "
        f"(max {1000 * max(syncs):.3f} ms)"
    )
    print(f"  silent take request     {1000 * statistics.median(takes):8.2f} ms median per cell")
    absd = [abs(d) for d in diffs]
    print(
        f"  recorded - in-cell perf_counter: median {1000 * statistics.median(diffs):.2f} ms, "
        f"median |diff| {1000 * statistics.median(absd):.2f} ms, max |diff| "
        f"{1000 * max(absd):.2f} ms over {len(diffs)} cells   (target: median within 5 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
