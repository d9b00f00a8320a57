"""The install facts (install_facts.json): valid against their schema, a source on every row,
consistent with themselves, and rendered into docs/install-doctor.md."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

PACKAGE = Path(__file__).resolve().parents[1]
FACTS = PACKAGE / "install_facts.json"
SCHEMA = PACKAGE / "schemas" / "install_facts.schema.json"
RENDER = PACKAGE.parent / "scripts" / "render_install_facts.py"


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return json.loads(FACTS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def render() -> Any:
    spec = importlib.util.spec_from_file_location("render_install_facts", RENDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows_without_source(facts: dict[str, Any]) -> list[str]:
    missing = []
    for table in ("releases", "cuda_variants", "drivers", "mps"):
        for index, row in enumerate(facts[table]):
            if not str(row.get("source") or "").strip():
                missing.append(f"{table}[{index}]")
    for key in ("intel_mac", "conda"):
        if not str(facts[key].get("source") or "").strip():
            missing.append(key)
    return missing


def test_facts_match_their_schema(facts: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(facts)


def test_every_row_has_a_source(facts: dict[str, Any]) -> None:
    assert rows_without_source(facts) == []


def test_a_row_without_a_source_is_caught(facts: dict[str, Any]) -> None:
    broken = copy.deepcopy(facts)
    broken["drivers"][1]["source"] = " "
    del broken["releases"][0]["source"]
    assert rows_without_source(broken) == ["releases[0]", "drivers[1]"]
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_facts_are_consistent(facts: dict[str, Any]) -> None:
    cudas = {row["cuda"] for row in facts["cuda_variants"]}
    majors = {row["cuda_major"] for row in facts["drivers"]}
    releases = [row["torch"] for row in facts["releases"]]
    assert len(set(releases)) == len(releases)
    for row in facts["releases"]:
        names = [variant["name"] for variant in row["variants"]]
        assert len(set(names)) == len(names) and "cpu" in names, row["torch"]
        for variant in row["variants"]:
            if variant["kind"] == "cuda":
                assert variant["cuda"] in cudas, (row["torch"], variant)
                assert int(variant["cuda"].split(".")[0]) in majors
                assert variant["name"] == "cu" + variant["cuda"].replace(".", "")
    assert facts["as_of"] == "2026-12-01"


def test_the_issue_facts_hold(facts: dict[str, Any]) -> None:
    by = {row["torch"]: row for row in facts["releases"]}
    assert [v["name"] for v in by["2.13"]["variants"] if v["kind"] == "cuda"] == [
        "cu126",
        "cu130",
        "cu132",
    ]
    assert by["2.13"]["python"][0] == "3.10" and by["2.9"]["mps_macos"] == "14.0"
    assert by["2.8"]["mps_macos"] == "13.0" and by["2.11"]["torchaudio"] == "2.11"
    assert by["2.12"]["torchaudio"] is None
    assert facts["intel_mac"]["last_torch"] == "2.2.2"
    cu126 = next(row for row in facts["cuda_variants"] if row["cuda"] == "12.6")
    assert "12.0" not in cu126["capabilities"] and "6.0" in cu126["capabilities"]


def test_docs_page_is_up_to_date(facts: dict[str, Any], render: Any) -> None:
    page = render.PAGE.read_text(encoding="utf-8")
    assert render.normalized(render.updated_page(page, facts)) == render.normalized(page), (
        "docs/install-doctor.md is stale: run python scripts/render_install_facts.py"
    )


def test_a_stale_docs_page_is_caught(facts: dict[str, Any], render: Any) -> None:
    page = render.PAGE.read_text(encoding="utf-8")
    changed = copy.deepcopy(facts)
    changed["releases"][-1]["torchvision"] = "0.99"
    assert render.normalized(render.updated_page(page, changed)) != render.normalized(page)
    assert "0.29" in page and "0.99" not in page
