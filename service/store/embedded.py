"""The embedded store: pyoxigraph in memory or on disk, one named graph per source file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from dakg.rdf.sources import (
    RdfSourceError,
    Source,
    may_hold_blank_nodes,
    skolemised,
    syntax_error,
)
from dakg.store.base import LOAD_MARKER, graph_counts

# Graphs larger than this go into an on-disk store through the bulk loader.
BULK = 100_000


def load_sources(sources: list[Source], store: ox.Store | None = None) -> ox.Store:
    """Load every source into its named graph; any unreadable file stops the load with no store."""
    if not sources:
        raise RdfSourceError("(no input)", "no Turtle files to load")
    target = store if store is not None else ox.Store()
    for source in sources:
        load_source(source, target)
    return target


def load_source(source: Source, store: ox.Store) -> None:
    """Load one source into its named graph, its blank nodes as their skolem IRIs (the one place
    every store, query worker and dump gets the sources from); an unreadable file names its
    file, line and column."""
    try:
        data = source.path.read_bytes()
        if may_hold_blank_nodes(data):
            store.extend(list(skolemised(source, data)))
            return
        store.bulk_load(
            data,
            format=ox.RdfFormat.TURTLE,
            base_iri=source.path.resolve().as_uri(),
            to_graph=ox.NamedNode(source.graph),
        )
    except SyntaxError as error:
        raise syntax_error(source.path, error) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RdfSourceError(source.path, str(error)) from None


def union_query(store: ox.Store, query: str, **kwargs):
    """Run a query with the default graph as the union of all named graphs."""
    return store.query(query, use_default_graph_as_union=True, **kwargs)


class EmbeddedStore:
    """pyoxigraph's Store with the operations of `dakg.store.base.Store` it lacks (its class
    takes no subclass): the queries go to it as they are, the load mark is a file in the
    on-disk store's folder (`folder`; None in memory, where no load is marked)."""

    def __init__(self, store: ox.Store, folder: Path | None = None):
        self.oxigraph = store
        self.folder = folder

    def query(self, query: str, **arguments):
        return self.oxigraph.query(query, **arguments)

    def update(self, update: str, base_iri: str | None = None) -> None:
        self.oxigraph.update(update, base_iri=base_iri)

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return self.oxigraph.named_graphs()

    def graph_counts(self) -> dict[str, int]:
        return graph_counts(self.oxigraph)

    def __len__(self) -> int:
        return len(self.oxigraph)

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad], size: int) -> None:
        """Replace one named graph with the quads in one transaction, or through the bulk loader
        for a large one: it writes new files of its own at each call, worth it for a large graph
        only (measured: 70 ms a small file, against 7 ms in an ordinary transaction)."""
        self.drop_graph(graph)
        if size > BULK:
            self.oxigraph.bulk_extend(quads)
        else:
            self.oxigraph.extend(quads)

    def drop_graph(self, graph: str) -> None:
        node = ox.NamedNode(graph)
        if self.oxigraph.contains_named_graph(node):
            self.oxigraph.remove_graph(node)

    def mark_load(self) -> None:
        if self.folder is not None:
            (self.folder / LOAD_MARKER).write_text(
                "dakg load started and has not finished\n", encoding="utf-8"
            )

    def unmark_load(self) -> None:
        if self.folder is not None:
            (self.folder / LOAD_MARKER).unlink(missing_ok=True)

    def load_incomplete(self) -> bool:
        return self.folder is not None and (self.folder / LOAD_MARKER).exists()

    def ping(self) -> None:
        """A store in this process always answers."""

    def flush(self) -> None:
        """Write the memtables of an on-disk store out, so memory stays bounded."""
        if self.folder is not None:
            self.oxigraph.flush()

    def close(self) -> None:
        """pyoxigraph closes its store when the last reference goes."""


# ---- one on-disk copy of an in-memory store, shared by the query workers ---------------------

# The folders of shared copies, under the temporary folder: `dakg-store-{pid}-{random}`, named
# by the process that built it, so that a later start removes one whose builder was killed.
SHARED_PREFIX = "dakg-store-"


class SharedCopy:
    """The in-memory store's quads written once into an on-disk store in a temporary folder,
    which every query worker opens read-only: one copy of the graph on the machine, its pages in
    the OS page cache shared by every process that reads them, rather than one copy a worker.

    It is built by a child process (`python -m dakg.store.embedded FOLDER`, the quads as N-Quads on its
    standard input), so that the service's process never starts RocksDB's threads: its HTTP
    workers are forked from it (service/web/forking.py). The folder goes with `remove`, at exit, and,
    if the builder was killed, at the next start (`remove_stale`). Only the process that built it
    removes it: HTTP workers forked from it share it."""

    def __init__(self, path: Path):
        import os
        import weakref

        self.path = path
        self.owner = os.getpid()
        self._finalizer = weakref.finalize(self, _remove_copy, path, self.owner)

    @classmethod
    def build(cls, store: ox.Store) -> SharedCopy:
        """Write the store's quads (the same terms: blank nodes are skolem IRIs from the load)
        into a new on-disk store; raises OSError when the child fails."""
        import os
        import subprocess
        import sys
        import tempfile

        remove_stale()
        folder = Path(tempfile.mkdtemp(prefix=f"{SHARED_PREFIX}{os.getpid()}-"))
        copy = cls(folder)
        with tempfile.TemporaryFile() as errors:
            builder = subprocess.Popen(
                [sys.executable, "-m", "dakg.store.embedded", str(copy.store_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
            assert builder.stdin is not None
            try:
                store.dump(builder.stdin, ox.RdfFormat.N_QUADS)
            except BrokenPipeError:
                pass  # the child stopped: its status and message say why
            finally:
                try:
                    builder.stdin.close()
                except BrokenPipeError:
                    pass
            builder.wait()
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace").strip().splitlines()
        if builder.returncode != 0:
            copy.remove()
            raise OSError(
                "the shared on-disk copy of the store was not built: "
                + (said[-1] if said else f"exit status {builder.returncode}")
            )
        return copy

    @property
    def store_path(self) -> Path:
        return self.path / "store"

    def remove(self) -> None:
        self._finalizer()


def _remove_copy(path: Path, owner: int) -> None:
    import os
    import shutil

    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


def remove_stale(folder: Path | None = None) -> list[Path]:
    """Remove the shared copies (of this user) whose builder has ended: killed, it could not."""
    import os
    import shutil
    import tempfile

    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{SHARED_PREFIX}*-*"):
        try:
            pid = int(path.name[len(SHARED_PREFIX) :].split("-", 1)[0])
            if path.stat().st_uid != os.getuid() or not path.is_dir():
                continue
        except (ValueError, OSError):
            continue
        try:
            os.kill(pid, 0)
            continue  # still running (or another user's process)
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def build_from_stdin(folder: str) -> None:
    """The child's side of `SharedCopy.build`: N-Quads from standard input into a new on-disk
    store, with the terms as written (no blank node relabelled)."""
    import sys

    target = ox.Store(folder)
    target.bulk_extend(ox.parse(sys.stdin.buffer, format=ox.RdfFormat.N_QUADS))
    target.flush()
    del target


if __name__ == "__main__":
    import sys

    build_from_stdin(sys.argv[1])
