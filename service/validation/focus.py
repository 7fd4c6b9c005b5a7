"""`dakg validate --changed-since REV`: the focus nodes a change can affect (the subjects of the changed files, before and after, and their neighbours), and the files that describe them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from dakg.rdf.sources import RdfSourceError
from dakg.validation.model import Inputs
from dakg.validation.queries import internal_query, union_query, with_values
from dakg.validation.rdfio import rdflib_term
from rdflib import URIRef
from rdflib.term import Node


def changed_focus(
    rev: str, inputs: Inputs, paths: list[Path], store: ox.Store
) -> frozenset[Node] | None:
    """Focus nodes for the files changed since `rev`, or None when everything must be validated.

    The subjects of every changed data file (as it is now and as it was at `rev`), and the
    nodes that link to them: a reference to a changed or deleted entity can break with it.
    A change to the ontology, the shapes or the checks (or a file added to or deleted from their
    folders) changes everything: None.
    """
    top = git_toplevel(paths[0] if paths[0].is_dir() else paths[0].parent)
    changed = {(top / name).resolve() for name in git_changed(top, rev)}
    rules = [p.resolve() for p in (*inputs.ontology, *inputs.shapes, *inputs.checks)]
    folders = {p.parent for p in rules}
    if any(p in rules or (p.parent in folders and p.suffix in (".ttl", ".rq")) for p in changed):
        return None
    data = {p.resolve() for p in inputs.data}
    roots = [p.resolve() for p in paths]
    subjects: set[Node] = set()
    for path in sorted(changed):
        if path in data:
            subjects |= graph_subjects(store, path)
        if path.suffix == ".ttl" and any(path == r or r in path.parents for r in roots):
            subjects |= old_subjects(top, rev, path)
    return frozenset(subjects | referrers(store, subjects))


def git(top: Path, *args: str) -> str:
    """Run git in `top`; a failure is an input error."""
    try:
        done = subprocess.run(["git", *args], cwd=top, capture_output=True, text=True, check=False)
    except OSError as error:
        raise RdfSourceError("git", str(error)) from None
    if done.returncode != 0:
        raise RdfSourceError("git", f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def git_toplevel(folder: Path) -> Path:
    return Path(git(folder, "rev-parse", "--show-toplevel").strip())


def git_changed(top: Path, rev: str) -> list[str]:
    """Files changed since `rev` (committed, staged or not) and untracked files, relative to `top`."""
    git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    tracked = git(top, "diff", "--name-only", "--no-renames", rev, "--").splitlines()
    untracked = git(top, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted({*tracked, *untracked} - {""})


def graph_subjects(store: ox.Store, path: Path) -> set[Node]:
    """The IRI subjects of a file's named graph."""
    rows = store.query(
        internal_query("graph-subjects"),
        substitutions={ox.Variable("g"): ox.NamedNode(path.as_uri())},
    )
    return {rdflib_term(row["s"]) for row in rows}


def old_subjects(top: Path, rev: str, path: Path) -> set[Node]:
    """The IRI subjects a file had at `rev` (none if it did not exist or does not parse)."""
    relative = path.relative_to(top).as_posix()
    done = subprocess.run(
        ["git", "show", f"{rev}:{relative}"], cwd=top, capture_output=True, check=False
    )
    if done.returncode != 0:
        return set()
    try:
        quads = ox.parse(done.stdout, format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())
        return {rdflib_term(q.subject) for q in quads if isinstance(q.subject, ox.NamedNode)}
    except SyntaxError:
        return set()


def referrers(store: ox.Store, nodes: set[Node]) -> set[Node]:
    """IRI subjects that link to the nodes."""
    return linked(store, nodes, "referrers")


def neighbours(store: ox.Store, nodes: set[Node]) -> set[Node]:
    """IRI subjects linked to or from the nodes."""
    return linked(store, nodes, "neighbours")


def linked(store: ox.Store, nodes: set[Node], name: str) -> set[Node]:
    """The ?n of a query of rq/validation/ with ?x bound to the IRIs among the nodes."""
    iris = [n for n in nodes if isinstance(n, URIRef)]
    if not iris:
        return set()
    query = with_values(internal_query(name), iris, "?x")
    return {rdflib_term(row["n"]) for row in union_query(store, query)}


def files_about(store: ox.Store, nodes: set[Node], files: Iterable[Path]) -> list[Path]:
    """The files (of those given) that hold a triple about one of the nodes."""
    iris = [n for n in nodes if isinstance(n, URIRef)]
    if not iris:
        return []
    query = with_values(internal_query("files-about"), iris, "?s")
    graphs = {row["g"].value for row in store.query(query)}
    return [p for p in files if p.resolve().as_uri() in graphs]
