"""The shared golden fixtures (tests/golden/*.json): the same cases run by jest
(src/records/__tests__/golden.spec.ts), so that the TypeScript extension and this package
compute the same device cells, scrubbed errors, machine labels, parameters and run records
from the same contract (contract.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyterlab_device_bench import contract, records

GOLDEN = Path(__file__).resolve().parent / "golden"


def load(name: str) -> dict:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", load("device_cells.json")["cells"], ids=lambda c: c["device"])
def test_device_cell(case):
    assert records.device_cell_source(case["device"], case["label"]) == case["source"]


@pytest.mark.parametrize("device", load("device_cells.json")["refused"])
def test_device_refused(device):
    with pytest.raises(records.InvalidDeviceError):
        records.device_cell_source(device)


@pytest.mark.parametrize("case", load("scrub.json")["cases"])
def test_scrub(case):
    assert records.scrub(case["message"]) == case["scrubbed"]
    assert contract.utf16_length(case["scrubbed"]) <= records.MAX_ERROR_CHARS


@pytest.mark.parametrize("case", load("machine_labels.json")["cases"])
def test_machine_label(case):
    assert records.default_machine_label(case["report"]) == case["label"]


@pytest.mark.parametrize("case", load("params.json")["public"])
def test_public_params(case):
    assert records.public_params(case["params"]) == case["recorded"]


@pytest.mark.parametrize("case", load("params.json")["cells"])
def test_parameters_cell(case):
    assert records.parameters_cell_source(case["params"]) == case["source"]


@pytest.mark.parametrize("case", load("records.json")["append"], ids=lambda c: c["name"])
def test_append(case):
    def append():
        checked = records.check_metadata(case["metadata"])
        return records.append_run(checked, case["record"], case["history"])

    if "refused" in case:
        error = {
            "malformed-metadata": records.MalformedMetadataError,
            "invalid-record": records.InvalidRecordError,
        }[case["refused"]]
        with pytest.raises(error):
            append()
    else:
        assert append() == case["result"]


@pytest.mark.parametrize("case", load("records.json")["resolve_interrupted"])
def test_resolve_interrupted(case):
    resolved = records.resolve_interrupted(case["runs"], case["now"])
    assert resolved == case["result"]
    assert not any(records.is_running(run) for run in resolved)
    for run in resolved:
        records.validate_record(run)


@pytest.mark.parametrize("case", load("probe.json")["cases"])
def test_probe_expression(case):
    from jupyterlab_device_bench import kernel_probe

    assert kernel_probe.probe_expression(case["source"], *case["args"]) == case["expression"]
    compile(case["expression"], "<probe>", "eval")


def test_the_contract_is_the_schemas():
    """Limits and version in the contract are those of the metadata schema."""
    schema = records.load_schema()
    run = schema["$defs"]["run"]["properties"]
    assert schema["properties"]["schema_version"]["const"] == contract.SCHEMA_VERSION
    assert run["error"]["maxLength"] == contract.LIMITS["error"]
    assert run["machine_label"]["maxLength"] == contract.LIMITS["machine_label"]
    assert run["id"]["maxLength"] == contract.LIMITS["id"]
    assert run["accuracy_note"]["maxLength"] == contract.LIMITS["accuracy_note"]
    statuses = contract.STATUSES
    assert run["status"]["enum"] == [*statuses["finished"], contract.RUNNING, contract.INTERRUPTED]
    assert run["source"]["enum"] == list(contract.CONTRACT["record"]["sources"].values())


def test_the_notebook_follows_the_contract():
    """The bundled notebook's own device cell is the contract's auto cell, and its cells carry
    the contract's tags and MIME types."""
    from jupyterlab_device_bench import runner

    nb = runner.load_notebook(None)
    device = runner.tagged(nb, contract.TAGS["device"])
    assert len(device) == 1
    assert nb.cells[device[0]].source.strip() == "\n".join(contract.CONTRACT["device_cell"]["auto"])
    for tag in ("parameters", "result", "machine", "progress"):
        assert len(runner.tagged(nb, contract.TAGS[tag])) == 1, tag
    text = json.dumps(nb)
    for mime in contract.MIME.values():
        assert mime in text


def _timing_notebook(cells):
    import nbformat

    nb = nbformat.v4.new_notebook()
    for spec in cells:
        new = nbformat.v4.new_code_cell if spec["type"] == "code" else nbformat.v4.new_markdown_cell
        cell = new(spec["source"])
        if spec.get("tags"):
            cell.metadata["tags"] = spec["tags"]
        nb.cells.append(cell)
    return nb


@pytest.mark.parametrize("case", load("code_hash.json")["cases"], ids=lambda c: c["name"])
def test_timed_layout_and_code_hash(case):
    from jupyterlab_device_bench import notebook_timing

    nb = _timing_notebook(case["cells"])
    where = notebook_timing.layout(nb)
    expected = case["layout"]
    assert (where.device_cell, where.start, where.stop, where.timed) == (
        expected["device_cell"],
        expected["start"],
        expected["stop"],
        expected["timed"],
    )
    assert notebook_timing.code_sha256(nb, where) == case["code_sha256"]


@pytest.mark.parametrize("case", load("code_hash.json")["refused"], ids=lambda c: c["name"])
def test_timed_layout_refused(case):
    from jupyterlab_device_bench import notebook_timing, runner

    with pytest.raises(runner.RunnerError):
        notebook_timing.layout(_timing_notebook(case["cells"]))


@pytest.mark.parametrize("case", load("recommend.json")["cases"], ids=lambda c: c["name"])
def test_recommend(case):
    from jupyterlab_device_bench import recommend

    answer = recommend.recommend(case["runs"])
    expected = case["expected"]
    assert answer["verdict"] == expected["verdict"]
    assert answer["best"] == expected["best"]
    assert answer["baseline"] == expected["baseline"]
    assert answer["speedup"] == pytest.approx(expected["speedup"])
    assert [d["device"] for d in answer["devices"]] == expected["devices"]
    assert answer["left_out"] == expected["left_out"]
    assert answer["text"] == expected["text"]


@pytest.mark.parametrize("case", load("papermill.json")["cases"], ids=lambda c: c["name"])
def test_papermill_record(case):
    from jupyterlab_device_bench import papermill_records, reports

    if "refused" in case:
        with pytest.raises(papermill_records.MalformedPapermillError) as raised:
            papermill_records.papermill_record(case["notebook"])
        assert str(raised.value) == case["refused"]
        source = reports.read_source("x.ipynb", case["notebook"])
        assert source.runs == [] and source.invalid[0]["index"] == -1
        assert source.invalid[0]["reason"] == f"not read as a papermill run: {case['refused']}"
    else:
        record = papermill_records.papermill_record(case["notebook"])
        assert record == case["record"]
        records.validate_record(record)
        assert reports.read_source("x.ipynb", case["notebook"]).runs == [record]


BREAKDOWN = load("breakdown.json")


@pytest.mark.parametrize("case", BREAKDOWN["timed_cell"], ids=lambda c: c["name"])
def test_timed_cell(case):
    assert records.timed_cell(case["index"], case["entry"]) == case["cell"]


@pytest.mark.parametrize("case", BREAKDOWN["peak_memory"], ids=lambda c: c["name"])
def test_peak_memory(case):
    assert records.peak_memory(case["cells"], case["final_rss"]) == case["peak"]


@pytest.mark.parametrize("case", BREAKDOWN["slowest_cell"], ids=lambda c: c["name"])
def test_slowest_cell(case):
    found = records.slowest_cell(case["record"])
    if case["slowest"] is None:
        assert found is None
    else:
        assert found == {**case["slowest"], "share": pytest.approx(case["slowest"]["share"])}


@pytest.mark.parametrize("case", BREAKDOWN["peak_figure"], ids=lambda c: c["name"])
def test_peak_figure(case):
    assert records.peak_figure(case["peak"]) == case["figure"]


@pytest.mark.parametrize("case", BREAKDOWN["valid"], ids=lambda c: c["name"])
def test_breakdown_records_validate(case):
    records.validate_record(case["record"])
    if "cells" in case["record"]:
        record = {k: v for k, v in case["record"].items() if k not in ("cells", "peak_memory")}
        again = records.with_breakdown(
            record, case["record"]["cells"], case["record"]["peak_memory"]
        )
        assert again == case["record"]


@pytest.mark.parametrize("case", BREAKDOWN["invalid"], ids=lambda c: c["name"])
def test_breakdown_records_refused(case):
    with pytest.raises(records.InvalidRecordError):
        records.validate_record(case["record"])
