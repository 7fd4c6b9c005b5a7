"""SHACL validation of the graph and `dakg validate`, the check CI pipelines run.

The data (with the ontology mixed in for the class hierarchy) is loaded once into pyoxigraph and
once into rdflib. pySHACL evaluates the core constraints on the rdflib graph; the SPARQL-based
constraints of node shapes run on pyoxigraph with the same pre-binding semantics (pySHACL runs
them through rdflib's query engine, which is orders of magnitude slower); the SPARQL checks of
queries/checks/ run there too. All of them become the same `Result`s, rendered by
dakg.validation.reports. The queries the validation runs itself (shape targets, the files and nodes of
--changed-since) are the files of rq/validation/, their values bound as RDF terms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import rdflib
from dakg.rdf.sources import RdfSourceError
from dakg.validation.focus import files_about, neighbours
from dakg.validation.locations import locations_for, owner
from dakg.validation.model import BATCH, NOT_BATCHABLE, Check, Inputs, Outcome, Result
from dakg.validation.queries import internal_query, with_values
from dakg.validation.rdfio import (
    load_store,
    ox_term,
    parse_files,
    rdflib_term,
    store_from,
    to_rdflib,
)
from dakg.validation.shapes import Shapes, blanked, display, prebound, prefixes_for, rdfs_closure
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

# ---------------------------------------------------------------- pySHACL for the core constraints


def pyshacl_results(
    data: rdflib.Graph, shapes: rdflib.Graph, focus: frozenset[Node] | None
) -> list[Result]:
    """Core constraints, evaluated by pySHACL in place (the graph already holds the ontology)."""
    import pyshacl
    import pyshacl.errors

    focus_nodes = (
        sorted(str(n) for n in focus if isinstance(n, URIRef)) if focus is not None else None
    )
    if focus_nodes == []:
        return []
    with comparable_ill_typed_literals():
        try:
            _, report, _ = pyshacl.validate(
                data, shacl_graph=shapes, inplace=True, focus_nodes=focus_nodes
            )
        except pyshacl.errors.ReportableRuntimeError as error:
            raise RdfSourceError("shapes", f"pySHACL cannot evaluate the shapes: {error}") from None
    if isinstance(report, pyshacl.errors.ValidationFailure):
        raise RdfSourceError("shapes", f"pySHACL cannot evaluate the shapes: {report.message}")
    return [report_result(report, node) for node in report.objects(None, SH.result)]


@contextmanager
def comparable_ill_typed_literals() -> Iterator[None]:
    """pySHACL's sh:lessThanOrEquals with a literal that does not fit its datatype ("2022-13-01"
    ^^xsd:date) raises TypeError; SHACL says two values that cannot be compared give a result.
    While pySHACL runs, such a pair is compared one at a time and a TypeError becomes that result."""
    from pyshacl.constraints.core.property_pair_constraints import (
        LessThanOrEqualsConstraintComponent as Component,
    )

    original = Component._compare_ltoe

    def compare(self, value_nodes, compare_values, datagraph, focus):
        try:
            return original(self, value_nodes, compare_values, datagraph, focus)
        except TypeError:
            pass
        failed, reports = False, []
        for value in value_nodes:
            for other in compare_values:
                try:
                    one_failed, one = original(self, [value], [other], datagraph, focus)
                except TypeError:
                    one_failed, one = True, [self.make_v_result(datagraph, focus, value_node=value)]
                failed |= one_failed
                reports += one
        return failed, reports

    Component._compare_ltoe = compare
    try:
        yield
    finally:
        Component._compare_ltoe = original


def report_result(report: rdflib.Graph, node: Node) -> Result:
    """A Result from one sh:ValidationResult of a report graph."""
    return Result(
        focus=report.value(node, SH.focusNode),
        severity=report.value(node, SH.resultSeverity),
        component=report.value(node, SH.sourceConstraintComponent),
        source=report.value(node, SH.sourceShape),
        path=report.value(node, SH.resultPath),
        value=report.value(node, SH.value),
        constraint=report.value(node, SH.sourceConstraint),
        messages=tuple(sorted(report.objects(node, SH.resultMessage))),
    )


# ---------------------------------------------------------------- SPARQL constraints on pyoxigraph


def sparql_results(store: ox.Store, loaded: Shapes, focus: frozenset[Node] | None) -> list[Result]:
    """The SPARQL constraints of the top-level node shapes, pre-binding $this to each focus node."""
    results: list[Result] = []
    shapes = loaded.graph
    for shape, constraints in sorted(loaded.sparql.items(), key=lambda item: str(item[0])):
        if shapes.value(shape, SH.deactivated) == Literal(True):
            continue
        targets = shape_targets(store, shapes, shape, focus)
        if not targets:
            continue
        severity = shapes.value(shape, SH.severity) or SH.Violation
        for constraint in constraints:
            if shapes.value(constraint, SH.deactivated) == Literal(True):
                continue
            query = prefixes_for(shapes, constraint) + str(shapes.value(constraint, SH.select))
            templates = list(shapes.objects(constraint, SH.message)) or list(
                shapes.objects(shape, SH.message)
            )
            extra: dict[str, Node] = {"currentShape": shape}
            if re.search(r"[?$]shapesGraph(?!\w)", query):
                queried, options = with_shapes_graph(store, loaded)
                extra["shapesGraph"] = SHAPES_GRAPH
            else:
                queried, options = store, None
            for this, row in select_for_each(queried, query, targets, extra, options):
                results.append(sparql_result(shape, constraint, severity, templates, this, row))
    return sorted(set(results), key=result_key)


# The name of the shapes graph in the queries that use $shapesGraph.
SHAPES_GRAPH = URIRef("urn:x-dakg:shapes-graph")


def with_shapes_graph(store: ox.Store, loaded: Shapes) -> tuple[ox.Store, dict]:
    """A copy of the store with the shapes graph as the named graph SHAPES_GRAPH, and the query
    options that keep it out of the default graph (the data's graphs)."""
    graph = ox.NamedNode(str(SHAPES_GRAPH))
    copy = ox.Store()
    copy.extend(q for q in store if q.graph_name != graph)
    shapes = loaded.full if loaded.full is not None else loaded.graph
    copy.extend(ox.Quad(ox_term(s), ox_term(p), ox_term(o), graph) for s, p, o in shapes)
    data = [g for g in copy.named_graphs() if g != graph]
    options = {"default_graph": [*data, ox.DefaultGraph()], "named_graphs": [*data, graph]}
    return copy, options


def shape_targets(
    store: ox.Store, shapes: rdflib.Graph, shape: Node, focus: frozenset[Node] | None
) -> list[Node]:
    """The focus nodes of a shape's target declarations (and its implicit class target), among
    `focus` when it is given."""
    found: set[Node] = set(shapes.objects(shape, SH.targetNode))
    classes = set(shapes.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in shapes:
        classes.add(shape)
    declared = [("shape-target-class", "class", c) for c in classes]
    declared += [
        ("shape-target-subjects-of", "property", p)
        for p in shapes.objects(shape, SH.targetSubjectsOf)
    ]
    declared += [
        ("shape-target-objects-of", "property", p)
        for p in shapes.objects(shape, SH.targetObjectsOf)
    ]
    if focus is not None:
        found &= focus
    for name, variable, target in declared:
        query = internal_query(name)
        if focus is not None:
            query = with_values(query, [n for n in focus if not isinstance(n, BNode)], "?t")
        rows = store.query(
            query,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(variable): ox_term(target)},
        )
        found.update(rdflib_term(row["t"]) for row in rows)
    return sorted(found, key=str)


def select_for_each(
    store: ox.Store,
    query: str,
    targets: list[Node],
    extra: dict[str, Node] | None = None,
    options: dict | None = None,
) -> Iterator[tuple[Node, dict]]:
    """Rows of a SELECT query with $this pre-bound to each target in turn (SHACL's pre-binding),
    and the `extra` pre-bound variables ($currentShape, $shapesGraph) to their values.

    When joining with VALUES gives the same rows (see batchable), the IRI targets go in batches;
    otherwise one query per target, its value written in the query (see prebound).
    """
    used = {n: v for n, v in (extra or {}).items() if re.search(rf"[?$]{n}(?!\w)", query)}
    if batchable(query) and not any(isinstance(v, BNode) for v in used.values()):
        batched, _ = prebound(query, used)
        named = [t for t in targets if not isinstance(t, BNode)]
        for start in range(0, len(named), BATCH):
            rows = with_values(batched, named[start : start + BATCH])
            yield from solutions(store, rows, None, {}, options)
        targets = [t for t in targets if isinstance(t, BNode)]
    skolem_store: ox.Store | None = None
    for target in targets:
        values = {"this": target, **used}
        if any(isinstance(v, BNode) for v in values.values()):
            # A blank node cannot be written in a query: it is, as an IRI of its own, in a copy of
            # the store where every blank node is one (isBlank and isIRI told so).
            if skolem_store is None:
                skolem_store = skolemised(store)
            text, _ = prebound(query, {n: skolem(v) for n, v in values.items()})
            try:
                rows = list(solutions(skolem_store, term_tests(text), target, {}, options))
            except SyntaxError:
                rows = list(solutions(store, query, target, values, options))
            yield from ((unskolem(t), {n: unskolem(v) for n, v in r.items()}) for t, r in rows)
            continue
        text, left = prebound(query, values)
        try:
            rows = list(solutions(store, text, target, left, options))
        except SyntaxError:  # a value where SPARQL takes only a variable: pyoxigraph binds it
            rows = list(solutions(store, query, target, values, options))
        yield from rows


SKOLEM = "urn:x-dakg:blank-node:"


def skolem(node: Node) -> Node:
    return URIRef(SKOLEM + str(node)) if isinstance(node, BNode) else node


def unskolem(node: Node) -> Node:
    if isinstance(node, URIRef) and str(node).startswith(SKOLEM):
        return BNode(str(node)[len(SKOLEM) :])
    return node


def skolemised(store: ox.Store) -> ox.Store:
    """A copy of the store with every blank node an IRI of SKOLEM."""

    def term(t):
        return ox.NamedNode(SKOLEM + t.value) if isinstance(t, ox.BlankNode) else t

    copy = ox.Store()
    copy.extend(ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in store)
    return copy


def term_tests(query: str) -> str:
    """The query with isBlank, isIRI and isURI telling a SKOLEM IRI for the blank node it is."""
    text = blanked(query)
    out, index = [], 0
    for match in re.finditer(r"\b(isBlank|isIRI|isURI)\s*\(", text, re.IGNORECASE):
        if match.start() < index:
            continue
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        argument = term_tests(query[match.end() : end])
        out.append(query[index : match.start()])
        test = f'STRSTARTS(STR({argument}), "{SKOLEM}")'
        if match.group(1).lower() == "isblank":
            out.append(f"(isBlank({argument}) || {test})")
        else:
            out.append(f"({match.group(1)}({argument}) && !{test})")
        index = end + 1
    out.append(query[index:])
    return "".join(out)


def batchable(query: str) -> bool:
    """Whether joining the query with `VALUES $this {...}` at the start of its WHERE clause equals
    pre-binding $this: one SELECT that projects $this, nothing that scopes or counts solutions,
    and $this used only in the top-level group or inside EXISTS (which substitutes it)."""
    text = blanked(query)
    if len(re.findall(r"\bSELECT\b", text, re.I)) != 1 or NOT_BATCHABLE.search(text):
        return False
    head, brace, _ = text.partition("{")
    if not brace or not re.search(r"[?$]this\b|\*", head):
        return False
    frames: list[bool] = []  # per open group: is it (inside) an EXISTS body?
    for token in re.finditer(r"\bEXISTS\s*\{|\{|\}|[?$]this\b", text[len(head) :], re.I):
        word = token.group(0)
        if word.endswith("{"):
            frames.append(word.upper().startswith("EXISTS") or any(frames))
        elif word == "}":
            frames.pop()
        elif len(frames) > 1 and not frames[-1]:
            return False
    return True


def solutions(
    store: ox.Store,
    query: str,
    this: Node | None,
    left: dict[str, Node] | None = None,
    options: dict | None = None,
) -> Iterator[tuple[Node, dict]]:
    """Run a query (the blank nodes of `left` substituted, pyoxigraph's pre-binding of projected
    variables) and yield (this, row)."""
    if left is None:
        left = {"this": this} if this is not None else {}
    substitutions = {ox.Variable(n): ox_term(v) for n, v in left.items()} or None
    try:
        result = store.query(
            query, substitutions=substitutions, **(options or {"use_default_graph_as_union": True})
        )
    except RuntimeError as error:  # pyoxigraph pre-binds only projected variables
        raise RdfSourceError("shapes", f"{error}: a SPARQL constraint must select $this") from None
    names = [v.value for v in result.variables]
    for row in result:
        values = {name: rdflib_term(row[name]) for name in names if row[name] is not None}
        focus = values.get("this", this)
        if focus is not None:
            yield focus, values


def sparql_result(
    shape: Node, constraint: Node, severity: URIRef, templates: list[Node], this: Node, row: dict
) -> Result:
    """A Result for one row of a SPARQL-based constraint."""
    if row.get("failure") == Literal(True):
        raise RdfSourceError(
            "shapes", f"{constraint}: the SPARQL constraint reported a failure for {this}"
        )
    messages = tuple(
        Literal(fill_message(str(t), row), lang=t.language if isinstance(t, Literal) else None)
        for t in templates
    )
    return Result(
        focus=this,
        severity=severity,
        component=SH.SPARQLConstraintComponent,
        source=shape,
        path=row.get("path"),
        value=row.get("value", this),
        constraint=constraint,
        messages=tuple(sorted(messages)),
    )


def fill_message(template: str, row: dict) -> str:
    """Replace {?var} and {$var} with the row's values."""

    def value_of(match: re.Match) -> str:
        value = row.get(match.group(1))
        return display(value) if value is not None else match.group(0)

    return re.sub(r"\{[?$](\w+)\}", value_of, template)


# ---------------------------------------------------------------- checks


def check_files(paths: Iterable[Path]) -> list[Path]:
    """The .rq files given, and the *-violation.rq files of the folders given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.glob("*-violation.rq")))
        elif path.is_file():
            found.append(path)
        else:
            raise RdfSourceError(path, "no such file or folder")
    return found


def load_checks(paths: Iterable[Path], allow: Iterable[str] = ()) -> list[Check]:
    """The checks of the given .rq files and folders; one whose SERVICE would fetch an address off
    the allow-list is an input error."""
    from dakg.sparql.federation import NetworkRefused, check

    checks = [Check.from_file(p) for p in check_files(paths)]
    for found in checks:
        try:
            check(found.query, tuple(allow))
        except NetworkRefused as error:
            raise RdfSourceError(
                found.path, f"the check would fetch from the network (SERVICE), refused: {error}"
            ) from None
    return checks


def check_results(
    store: ox.Store, checks: list[Check], focus: frozenset[Node] | None
) -> list[Result]:
    """The rows of every check, one Result per (focus node, path, value), messages merged by language."""
    results = []
    for check in checks:
        try:
            if focus is not None and batchable(check.query):
                rows = list(select_for_each(store, check.query, sorted(focus, key=str)))
            else:
                rows = list(solutions(store, check.query, None))
        except (SyntaxError, ValueError, OSError, RuntimeError) as error:
            raise RdfSourceError(check.path, f"the check query fails: {error}") from None
        grouped: dict[tuple, set[Literal]] = {}
        for this, row in rows:
            if focus is not None and this not in focus:
                continue
            key = (this, row.get("path"), row.get("value"))
            message = row.get("message")
            grouped.setdefault(key, set()).update([message] if isinstance(message, Literal) else [])
        for (this, path, value), messages in grouped.items():
            results.append(
                Result(
                    focus=this,
                    severity=check.severity,
                    component=SH.SPARQLConstraintComponent,
                    source=check.iri,
                    path=path,
                    value=value,
                    constraint=check.iri,
                    messages=tuple(sorted(messages or {Literal(check.title, lang="en")})),
                )
            )
    return sorted(results, key=result_key)


def as_written(graph: rdflib.Graph, result: Result) -> Result:
    """The result with its literal value as the data writes it (a store keeps values canonical: 45.80 is 45.8)."""
    if not isinstance(result.value, Literal) or not isinstance(result.path, URIRef):
        return result
    for written in graph.objects(result.focus, result.path):
        if (
            isinstance(written, Literal)
            and written != result.value
            and same_value(written, result.value)
        ):
            return replace(result, value=written)
    return result


def same_value(a: Literal, b: Literal) -> bool:
    try:
        return bool(a.eq(b))
    except TypeError:
        return False


def result_key(result: Result) -> tuple:
    return (
        -result.rank,
        str(result.source),
        str(result.focus),
        str(result.path),
        str(result.value),
    )


# ---------------------------------------------------------------- validation


def validate(
    inputs: Inputs,
    inference: str = "none",
    focus: Iterable[Node] | None = None,
    store: ox.Store | None = None,
    shapes: Shapes | None = None,
    allow: Iterable[str] = (),
) -> Outcome:
    """Validate the data against the shapes and checks; with `focus`, only those focus nodes.

    `store` is the data and ontology already loaded by load_store, `shapes` the shapes already
    loaded (both are read, never changed): callers that validate often load them once. `allow`
    is the network allow-list (DAKG_FEDERATION_ALLOW) a SERVICE in the shapes must be on.
    """
    if not inputs.data:
        raise RdfSourceError("data", "no Turtle files to validate")
    store = store if store is not None else load_store(inputs.loaded)
    triples = data_triples(store, inputs.data)
    if triples == 0:
        raise RdfSourceError(inputs.data[0], "the input holds no triples: nothing to validate")
    focus_set = frozenset(focus) if focus is not None else None
    graph = to_rdflib(parse_files(pyshacl_files(store, inputs, focus_set, inference)))
    if inference == "rdfs":
        rdfs_closure(graph)
        store = store_from(graph)
    shapes = shapes if shapes is not None else Shapes.load(inputs.shapes, allow)
    checks = load_checks(inputs.checks, allow)
    results = pyshacl_results(graph, shapes.graph, focus_set)
    queried = sparql_results(store, shapes, focus_set) + check_results(store, checks, focus_set)
    results += [as_written(graph, r) for r in queried]
    if inputs.context:  # only the results about what the data files describe
        described = described_in(store, inputs.data)
        results = [r for r in results if owner(r.focus, graph, store) in described]
    outcome = Outcome(
        results=sorted(results, key=result_key),
        shapes=shapes.graph,
        checks=checks,
        inputs=inputs,
        triples=triples,
        locations=locations_for(results, inputs.loaded, graph, store),
        focus=focus_set,
    )
    return outcome


def pyshacl_files(
    store: ox.Store, inputs: Inputs, focus: frozenset[Node] | None, inference: str
) -> list[Path]:
    """The files pySHACL needs: all of them, or for some focus nodes (without inference) the
    ontology and the files about the focus nodes and their neighbours (the shapes reach no further
    than two links from a focus node: a value's class, a path of two steps)."""
    if focus is None or inference != "none":
        return inputs.loaded
    near = set(focus) | neighbours(store, set(focus))
    return [*files_about(store, near, [*inputs.data, *inputs.context]), *inputs.ontology]


def described_in(store: ox.Store, files: Iterable[Path]) -> set[Node]:
    """The subjects of the files' named graphs (their blank nodes too: the file's own)."""
    found: set[Node] = set()
    for path in files:
        graph = ox.NamedNode(path.resolve().as_uri())
        found.update(
            rdflib_term(q.subject) for q in store.quads_for_pattern(None, None, None, graph)
        )
    return found


def data_triples(store: ox.Store, files: Iterable[Path]) -> int:
    """How many triples the data files (not the ontology) hold."""
    graphs = [URIRef(p.resolve().as_uri()) for p in files]
    query = with_values(internal_query("data-triples"), graphs, "?g")
    return int(next(iter(store.query(query)))["n"].value)
