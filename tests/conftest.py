"""Shared fixtures: the project root and the real graph, loaded once per session, and the store
the service tests run on (DAKG_TEST_STORE=memory, the default, disk or remote)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dakg.store.dataset import Dataset
from helpers import ROOT
from helpers.engine import ServiceStores, store_kind

REPORT = ROOT / "source" / "digital-agency-activity-report-2021-09-2022-08.ja.txt"


def pytest_report_header(config: pytest.Config) -> str:
    return f"dakg test store: {store_kind()} (DAKG_TEST_STORE)"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """The real graph (ontology/ and data/ttl/) in the embedded store: the reference answers."""
    return Dataset.load(ROOT)


@pytest.fixture(scope="session")
def service_store(
    tmp_path_factory: pytest.TempPathFactory, dataset: Dataset
) -> Iterator[ServiceStores]:
    """The store the service is tested on, chosen by DAKG_TEST_STORE: `memory` (the default),
    `disk` (oxigraph:PATH in a temporary folder) or `remote` (a real `oxigraph serve` on a free
    127.0.0.1 port), filled by the real `dakg load` and stopped when the session ends.

    `service_store.dataset()` is the project's graph on it, for `create_app(settings, ...)`;
    `service_store.load(root)` another folder's graph on a new store of the same kind; live
    servers (server_fixture) read `service_store.shared`."""
    stores = ServiceStores(store_kind(), tmp_path_factory.mktemp, dataset)
    try:
        yield stores
    finally:
        stores.close()


@pytest.fixture(scope="session")
def report_text() -> str:
    """The report's full text, the one primary source every transcribed figure is checked against."""
    if not REPORT.is_file():
        pytest.fail(f"the report's text is missing at {REPORT}; tests check the data against it")
    return REPORT.read_text(encoding="utf-8")
