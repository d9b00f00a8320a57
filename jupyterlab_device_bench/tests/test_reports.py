"""reports.py and the merge-reports / records-from-notebook commands on files alone (no
kernels): what is read, what is left out and said, what is written."""

from __future__ import annotations

import json

from jupyterlab_device_bench import records, reports
from jupyterlab_device_bench.__main__ import main


def run(run_id: str, label: str = "box", **changes) -> dict:
    record = records.record_from_error(
        "failed",
        "boom",
        device="cpu",
        profile="quick",
        params={},
        machine_label=label,
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
        run_id=run_id,
    )
    return {**record, **changes}


def notebook(*runs) -> dict:
    return {"cells": [], "metadata": {"device_bench": {"schema_version": 1, "runs": list(runs)}}}


def test_merge_keeps_valid_runs_and_lists_the_rest(tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text(
        json.dumps(notebook(run("1"), run("2", status="running"), {"id": "bad"}, "text"))
    )
    exported = {"schema_version": 1, "kind": "device-bench-report", "generated_at": "x"}
    (tmp_path / "b.json").write_text(json.dumps({**exported, "runs": [run("1"), run("3", "B")]}))
    (tmp_path / "c.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    (tmp_path / "d.json").write_text("{not json")
    names = ["a.ipynb", "b.json", "c.ipynb", "d.json"]
    code = main(["merge-reports", *(str(tmp_path / n) for n in names), "-o", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 0
    report = json.loads((tmp_path / "m").read_text())
    reports.validate_report(report)
    assert report["sources"] == names
    assert [r["id"] for r in report["runs"]] == ["1", "2", "3"]  # "1" twice counts once
    assert report["runs"][1]["status"] == "interrupted"  # a leftover running marker
    invalid = [(e["source"], e["index"]) for e in report["invalid"]]
    assert invalid == [("a.ipynb", 2), ("a.ipynb", 3), ("d.json", -1)]
    assert "c.ipynb: the notebook has no device_bench metadata" in report["warnings"]
    assert "2 of 4 run records are not valid" in err and "3 run(s) from 4 source(s)" in err
    assert str(tmp_path) not in json.dumps(report)


def test_merge_with_nothing_readable_writes_nothing(tmp_path, capsys):
    (tmp_path / "x.json").write_text("[]")
    code = main(["merge-reports", str(tmp_path / "x.json"), "-o", str(tmp_path / "m.json")])
    assert code == 2 and "nothing was written" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_records_from_a_notebook_without_runs_is_refused(tmp_path, capsys):
    (tmp_path / "plain.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    code = main(["records-from-notebook", str(tmp_path / "plain.ipynb")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "no device_bench metadata" in err and "nothing was written" in err


def test_records_from_notebook_refuses_a_bad_machine_label(tmp_path, capsys):
    (tmp_path / "n.ipynb").write_text(json.dumps(notebook(run("1"))))
    code = main(["records-from-notebook", str(tmp_path / "n.ipynb"), "--machine-label", " "])
    assert code == 2 and "must not be empty" in capsys.readouterr().err
