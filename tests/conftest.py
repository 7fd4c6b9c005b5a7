"""Shared fixtures: the project root and the real graph, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.dataset import Dataset

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT.parent / "shared" / "source" / "digital-agency-activity-report-2021-09-2022-08.ja.txt"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """The real graph (ontology/ and data/ttl/) in the embedded store."""
    return Dataset.load(ROOT)


@pytest.fixture(scope="session")
def report_text() -> str:
    """The report's full text, the one primary source every transcribed figure is checked against."""
    if not REPORT.is_file():
        pytest.fail(f"the report's text is missing at {REPORT}; tests check the data against it")
    return REPORT.read_text(encoding="utf-8")
