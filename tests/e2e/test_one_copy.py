"""One copy of the graph on the machine: a read-only in-memory endpoint writes its graph once
into an on-disk store in a temporary folder, which every query worker opens read-only (no copy
of its own), gives the same answers as the in-memory store, byte for byte, and removes the folder
when it stops (or, if it was killed, at the next start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from dakg.execution.worker import Limits, evaluate
from dakg.settings import Settings
from dakg.sparql.library import ParameterError, list_queries
from dakg.sparql.values import bind_values
from dakg.store.dataset import Dataset
from dakg.store.embedded import SHARED_PREFIX, SharedCopy, remove_stale
from dakg.web.app import query_pool
from helpers import FIXTURES, ROOT
from helpers.server import start_server

PROJECT = FIXTURES / "project"
WORKERS = 2


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, ()))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, ()))
    return found


def query_workers(pid: int) -> list[int]:
    return [
        child
        for child in descendants(pid)
        if b"dakg.execution.worker" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def open_files(pid: int) -> dict[str, int]:
    """The files a process holds open, with the access mode of each (os.O_RDONLY, ...)."""
    found = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            flags = next(
                line.split()[1]
                for line in (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().splitlines()
                if line.startswith("flags:")
            )
        except (OSError, StopIteration):
            continue
        found[target] = int(flags, 8) & os.O_ACCMODE
    return found


def rss_anon_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise AssertionError("no RssAnon")


@pytest.fixture(scope="module")
def temp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tmp")


def test_query_workers_read_one_shared_copy_read_only_and_it_goes_with_the_server(temp) -> None:
    env = {"TMPDIR": str(temp), "DAKG_QUERY_PROCESSES": str(WORKERS), "DAKG_CACHE_ENTRIES": "0"}
    server = start_server(env, args=("--workers", "1"))
    try:
        (folder,) = temp.glob(f"{SHARED_PREFIX}{server.process.pid}-*")
        store = folder / "store"
        assert any(store.iterdir())
        with httpx.Client(base_url=server.base, timeout=60) as http:
            for _ in range(WORKERS * 3):  # every worker reads the whole graph
                answer = http.get(
                    "/sparql",
                    params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                    headers={"accept": "text/csv"},
                )
                assert answer.status_code == 200, answer.text
        workers = query_workers(server.process.pid)
        assert len(workers) == WORKERS
        for worker in workers:
            held = open_files(worker)
            inside = {path: mode for path, mode in held.items() if path.startswith(str(store))}
            assert any(path.endswith(".sst") for path in inside), held
            assert set(inside.values()) == {os.O_RDONLY}, inside
            # Less private memory than the server, which holds the app and the graph in memory.
            assert rss_anon_kb(worker) < rss_anon_kb(server.process.pid)
    finally:
        server.stop()
    assert not folder.exists()
    assert not list(temp.glob(f"{SHARED_PREFIX}*"))


def test_several_http_workers_share_one_copy_and_remove_it_once(temp) -> None:
    env = {"TMPDIR": str(temp), "DAKG_QUERY_PROCESSES": str(WORKERS)}
    server = start_server(env, args=("--workers", "2"))
    try:
        (folder,) = temp.glob(f"{SHARED_PREFIX}*")
        assert folder.name.startswith(f"{SHARED_PREFIX}{server.process.pid}-")
        answer = httpx.get(server.url("/sparql"), params={"query": "ASK { ?s ?p ?o }"})
        assert answer.status_code == 200
        assert len(query_workers(server.process.pid)) == 2 * WORKERS
        # The HTTP workers read the shared copy too (their lookups, pages and pictures): none
        # holds an in-memory graph of its own, and the process that loaded it keeps none.
        store = str(folder / "store")
        http_workers = [
            child
            for child in descendants(server.process.pid)
            if child not in query_workers(server.process.pid)
            and b"dakg" in Path(f"/proc/{child}/cmdline").read_bytes()
        ]
        assert len(http_workers) == 2
        for _ in range(8):  # connections spread over both workers
            with httpx.Client(base_url=server.base) as http:
                assert http.get("/id/initiative/mynumber-card", follow_redirects=True).is_success
        for worker in http_workers:
            inside = {p: m for p, m in open_files(worker).items() if p.startswith(store)}
            assert any(path.endswith(".sst") for path in inside), worker
            assert set(inside.values()) == {os.O_RDONLY}, inside
        assert not any(p.startswith(store) for p in open_files(server.process.pid))
        assert rss_anon_kb(server.process.pid) < min(map(rss_anon_kb, http_workers))
    finally:
        server.stop()
    assert not folder.exists()


def test_a_killed_servers_copy_is_removed_at_the_next_start(tmp_path) -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    stale = tmp_path / f"{SHARED_PREFIX}{ended.pid}-abc"
    (stale / "store").mkdir(parents=True)
    live = tmp_path / f"{SHARED_PREFIX}{os.getpid()}-def"
    live.mkdir()
    other = tmp_path / "dakg-metrics-xyz"
    other.mkdir()
    assert remove_stale(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other.exists()


def test_the_copy_holds_the_same_quads_and_answers_byte_for_byte(dataset: Dataset) -> None:
    copy = SharedCopy.build(dataset.store)
    try:
        disk = ox.Store.read_only(str(copy.store_path))
        assert set(disk) == set(dataset.store)
        compared = 0
        for saved in list_queries(ROOT / "queries"):
            try:
                text = bind_values(saved.text, saved.bindings({}))
            except ParameterError:
                continue
            for results, graph in (("json", "ntriples"), ("csv", "turtle")):
                arguments = {"use_default_graph_as_union": True}
                memory = evaluate(dataset.store, text, arguments, results, graph, Limits())
                shared = evaluate(disk, text, arguments, results, graph, Limits())
                assert shared == memory, saved.name
                compared += 1
        assert compared >= 10
        del disk
    finally:
        copy.remove()
    assert not copy.path.exists()


def test_only_a_read_only_memory_endpoint_shares_a_copy(dataset: Dataset, tmp_path) -> None:
    settings = Settings.from_env(query_processes=2)
    pool = query_pool(settings, dataset)
    assert pool is not None and pool.shared is not None
    assert pool.spec["kind"] == "disk" and pool.spec["path"] == str(pool.shared.store_path)
    folder = pool.shared.path
    pool.stop()
    pool.shared.remove()
    assert not folder.exists()
    # With an update token each worker keeps a copy it can update (and reload snapshots into).
    updating = query_pool(Settings.from_env(query_processes=2, update_token="t"), dataset)
    assert updating is not None and updating.shared is None
    assert updating.spec["kind"] == "memory"
