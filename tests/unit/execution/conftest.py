"""A small on-disk store the query workers of these tests open read-only."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

EX = "http://example.org/"
# Enough rows to pass a small cap, and to make a cross product of four patterns take minutes.
ITEMS = 60


def build_store(path: Path) -> Path:
    store = ox.Store(str(path))
    graph = ox.NamedNode(EX + "g")
    store.extend(
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), graph)
        for i in range(ITEMS)
    )
    store.flush()
    del store  # closed: the workers open it read-only
    return path


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("store") / "store")


@pytest.fixture(scope="module")
def spec(disk_store: Path) -> dict:
    return {"kind": "disk", "path": str(disk_store), "memory_bytes": 0, "network": False}
