"""The embedded store: pyoxigraph in memory, one named graph per source file."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from dakg.rdf.sources import (
    RdfSourceError,
    Source,
    graph_sources,
    may_hold_blank_nodes,
    skolemised,
    syntax_error,
)


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


def load_project(root: Path) -> ox.Store:
    """The project's graph (ontology/ and data/ttl/) in a new in-memory store."""
    return load_sources(graph_sources(root))


def union_query(store: ox.Store, query: str, **kwargs):
    """Run a query with the default graph as the union of all named graphs."""
    return store.query(query, use_default_graph_as_union=True, **kwargs)


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
