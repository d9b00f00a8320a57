"""Which device should this notebook use? A pure function of ``kind: "notebook"`` run records.

The rule's numbers live in ``recommend_rule.json`` (one source of truth for the Python and the
JupyterLab side); this module only applies them. No I/O beyond reading that file.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

RULE_PATH = Path(__file__).resolve().parent / "recommend_rule.json"


@cache
def load_rule() -> dict[str, Any]:
    return json.loads(RULE_PATH.read_text(encoding="utf-8"))


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _seconds(value: float) -> str:
    return f"{value:.3g} s"


def device_summaries(runs: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """{device: {median, spread, runs, totals, cells: {index: median seconds}, labels}} over the
    ok notebook records, in the order the devices first appear."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for run in runs:
        if run.get("kind") != "notebook" or run.get("status") != "ok":
            continue
        if not isinstance(run.get("total_seconds"), (int, float)):
            continue
        grouped.setdefault(run["device"], []).append(run)
    summaries = {}
    for device, found in grouped.items():
        totals = [float(run["total_seconds"]) for run in found]
        per_cell: dict[int, list[float]] = {}
        labels: dict[int, str] = {}
        for run in found:
            for cell in run.get("cells") or []:
                if isinstance(cell.get("seconds"), (int, float)):
                    per_cell.setdefault(cell["index"], []).append(float(cell["seconds"]))
                    labels[cell["index"]] = cell.get("label") or f"cell {cell['index'] + 1}"
        summaries[device] = {
            "median": statistics.median(totals),
            "spread": max(totals) - min(totals),
            "runs": len(totals),
            "totals": totals,
            "cells": {index: statistics.median(values) for index, values in per_cell.items()},
            "labels": labels,
        }
    return summaries


def recommend(
    runs: Sequence[Mapping[str, Any]], rule: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The answer for the runs of one notebook (records of other code are left out: only those
    with the code hash of the last ok record count).

    Returns ``{"verdict": "faster" | "tie" | "single" | "none", "text": ..., "best": device or
    None, "baseline": device or None, "speedup": float or None, "dominant_cell": {index, label,
    share} or None, "devices": [{device, median_seconds, spread_seconds, runs}], "left_out": n}``.
    """
    rule = dict(load_rule() if rule is None else rule)
    ok = [r for r in runs if r.get("kind") == "notebook" and r.get("status") == "ok"]
    hash_ = ok[-1].get("code_sha256") if ok else None
    same = [r for r in ok if r.get("code_sha256") == hash_]
    answer: dict[str, Any] = {
        "verdict": "none",
        "text": "No finished run of this notebook to compare.",
        "best": None,
        "baseline": None,
        "speedup": None,
        "dominant_cell": None,
        "devices": [],
        "left_out": len(ok) - len(same),
    }
    summaries = device_summaries(same)
    ranked = sorted(summaries, key=lambda device: summaries[device]["median"])
    answer["devices"] = [
        {
            "device": device,
            "median_seconds": summaries[device]["median"],
            "spread_seconds": summaries[device]["spread"],
            "runs": summaries[device]["runs"],
        }
        for device in ranked
    ]
    if not ranked:
        return answer
    best = ranked[0]
    answer["best"] = best
    top = summaries[best]
    if top["median"] > 0 and top["cells"]:
        index = max(top["cells"], key=lambda i: top["cells"][i])
        share = top["cells"][index] / top["median"]
        answer["dominant_cell"] = {"index": index, "label": top["labels"][index], "share": share}
    dominant = answer["dominant_cell"]
    cell_text = (
        f"; {dominant['label']} is {_percent(dominant['share'])} of the time"
        if dominant is not None and dominant["share"] >= rule["dominant_share"]
        else ""
    )
    if len(ranked) == 1:
        answer["verdict"] = "single"
        answer["text"] = f"Only {best} ran: {_seconds(top['median'])} for this notebook{cell_text}."
        return answer
    second = summaries[ranked[1]]
    gap = second["median"] - top["median"]
    spread = max(top["spread"], second["spread"])
    if gap <= spread or gap < rule["min_relative_difference"] * second["median"]:
        answer["verdict"] = "tie"
        why = (
            f"within the run-to-run spread ({_seconds(spread)})"
            if gap <= spread
            else f"less than {_percent(rule['min_relative_difference'])}"
        )
        answer["text"] = (
            f"{best} and {ranked[1]} differ by {_seconds(gap)} for this notebook, {why}: "
            "no device is clearly faster."
        )
        return answer
    preferred = [d for d in rule["baseline_preference"] if d in summaries and d != best]
    baseline = preferred[0] if preferred else ranked[-1]
    speedup = summaries[baseline]["median"] / top["median"] if top["median"] > 0 else None
    answer.update(verdict="faster", baseline=baseline, speedup=speedup)
    times = f"{speedup:.{rule['speedup_decimals']}f}×" if speedup is not None else "much"
    answer["text"] = f"{best} is {times} faster than {baseline} for this notebook{cell_text}."
    return answer
