"""The store kind told from the setting, the properties callers ask of it, and the one Store
protocol that the engine and pyoxigraph's adapter both implement."""

from __future__ import annotations

import inspect
from pathlib import Path

import pyoxigraph as ox
import pytest
from dakg.store.backends import RemoteStore, StoreConfig, StoreSettingError, as_store
from dakg.store.base import LOAD_MARKER, Store, StoreKind
from dakg.store.embedded import EmbeddedStore


@pytest.mark.parametrize(
    ("setting", "kind", "embedded", "remote", "persistent", "on_disk"),
    [
        ("memory", StoreKind.MEMORY, True, False, False, False),
        ("oxigraph:/tmp/x", StoreKind.OXIGRAPH, True, False, True, True),
        ("sparql:http://engine/q", StoreKind.SPARQL, False, True, True, False),
    ],
)
def test_a_setting_names_one_kind_with_its_properties(
    setting, kind, embedded, remote, persistent, on_disk
) -> None:
    config = StoreConfig.parse(setting, env={})
    assert config.kind is kind
    assert (
        config.kind.embedded,
        config.kind.remote,
        config.kind.persistent,
        config.kind.on_disk,
    ) == (
        embedded,
        remote,
        persistent,
        on_disk,
    )
    assert (config.folder is not None) == on_disk


@pytest.mark.parametrize("setting", ["", "memory:x", "oxigraph:", "sparql:ftp://x", "disk:/tmp"])
def test_a_setting_that_names_no_kind_is_refused_naming_it(setting) -> None:
    with pytest.raises(StoreSettingError, match="expected memory, oxigraph:PATH"):
        StoreConfig.parse(setting, env={})


def test_a_kind_given_by_its_word_is_the_enum() -> None:
    assert StoreConfig("oxigraph", "/tmp/x").kind is StoreKind.OXIGRAPH
    assert StoreConfig("memory").describe() == "memory"


def protocol_members() -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(Store, inspect.isfunction)
        if not name.startswith("_") or name == "__len__"
    }


@pytest.mark.parametrize("implementation", [RemoteStore, EmbeddedStore])
def test_both_stores_implement_every_operation_of_the_protocol(implementation) -> None:
    members = protocol_members()
    assert {"query", "update", "mark_load", "replace_graph", "__len__"} <= members
    missing = {name for name in members if not hasattr(implementation, name)}
    assert not missing


def test_the_embedded_store_marks_a_load_in_its_folder(tmp_path: Path) -> None:
    config = StoreConfig.parse(f"oxigraph:{tmp_path}", env={})
    store = as_store(ox.Store(), config)
    assert isinstance(store, EmbeddedStore) and not store.load_incomplete()
    store.mark_load()
    assert (tmp_path / LOAD_MARKER).exists() and store.load_incomplete()
    store.unmark_load()
    assert not store.load_incomplete()


def test_the_embedded_store_replaces_a_graph_and_counts_it() -> None:
    store = EmbeddedStore(ox.Store())
    graph = "https://w3id.org/dakg/graph/t"
    node = ox.NamedNode(graph)
    quad = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("1"), node)
    store.replace_graph(graph, [quad], 1)
    other = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("2"), node)
    store.replace_graph(graph, [other], 1)
    assert store.graph_counts() == {graph: 1} and len(store) == 1
    store.drop_graph(graph)
    assert store.graph_counts() == {}
