"""SHACL validation of the graph and `dakg validate`, the check CI pipelines run.

The data (with the ontology mixed in for the class hierarchy) is loaded once into pyoxigraph and
once into rdflib. pySHACL evaluates the core constraints on the rdflib graph; the SPARQL-based
constraints of node shapes run on pyoxigraph with the same pre-binding semantics (pySHACL runs
them through rdflib's query engine, which is orders of magnitude slower); the SPARQL checks of
queries/checks/ run there too. All of them become the same `Result`s, rendered by
dakg.validation.reports. The queries the validation runs itself (shape targets, the files and nodes of
--changed-since) are the files of rq/validation/, their values bound as RDF terms.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import rdflib
from dakg import packaged
from dakg.rdf.namespaces import canonical_prefixes
from dakg.rdf.sources import RdfSourceError, syntax_error
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

CHECKS_NS = "https://w3id.org/dakg/checks/"
SEVERITY_RANK = {SH.Info: 0, SH.Warning: 1, SH.Violation: 2}
FAIL_ON = {"info": 0, "warning": 1, "violation": 2}
FORMATS = ("text", "turtle", "json-ld", "github", "junit", "sarif")
# Query features under which a VALUES join is not the same as pre-binding $this.
NOT_BATCHABLE = re.compile(
    r"(?<![?$\w])(MINUS|GROUP\s+BY|HAVING|LIMIT|OFFSET|ORDER\s+BY|SERVICE|GRAPH)\b"
    r"|(?<![?$\w])(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\("
    r"|\bVALUES\s*(\([^)]*)?[?$]this\b",
    re.IGNORECASE,
)
BATCH = 500
PREFIXES_LONGEST_FIRST = tuple(
    sorted(canonical_prefixes().items(), key=lambda item: len(item[1]), reverse=True)
)
# Shape-expecting parameters: a shape named by one of them is evaluated inside another shape.
SHAPE_PARAMETERS = (
    SH.node,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.qualifiedValueShape,
    SH.property,
)


# ---------------------------------------------------------------- the results


@dataclass(frozen=True)
class Location:
    """Where a focus node is defined: a file and a 1-based line."""

    path: Path
    line: int


@dataclass(frozen=True)
class Result:
    """One validation result, from a shape or a check, as the SHACL report describes it."""

    focus: Node
    severity: URIRef
    component: URIRef
    source: Node
    path: Node | None = None
    value: Node | None = None
    constraint: Node | None = None
    messages: tuple[Literal, ...] = ()

    def message(self, lang: str) -> str:
        """The message in `lang`, else an untagged one, else any."""
        by_lang = {m.language or "": str(m) for m in self.messages}
        for key in (lang, ""):
            if key in by_lang:
                return by_lang[key]
        return next(iter(sorted(by_lang.values())), "")

    @property
    def rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, SEVERITY_RANK[SH.Violation])


@dataclass(frozen=True)
class Check:
    """A saved query of queries/checks/ that must return no rows."""

    path: Path
    title: str
    description: str
    severity: URIRef
    query: str

    @property
    def iri(self) -> URIRef:
        return URIRef(CHECKS_NS + self.path.stem)

    @classmethod
    def from_file(cls, path: Path) -> Check:
        """Read a check and its `# title:`, `# description:` and `# severity:` header."""
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            match = re.match(r"#\s*(\w+)\s*:\s*(.*)$", line.strip())
            if match:  # a repeated key continues the value (a long description)
                key = match.group(1).lower()
                header[key] = (
                    f"{header[key]} {match.group(2).strip()}"
                    if key in header
                    else match.group(2).strip()
                )
        named = header.get("severity", "Violation")
        severity = URIRef(str(SH) + named.capitalize())
        if severity not in SEVERITY_RANK:
            raise RdfSourceError(path, f"unknown severity {named!r} (Violation, Warning or Info)")
        return cls(
            path=path,
            title=header.get("title", path.stem),
            description=header.get("description", ""),
            severity=severity,
            query=text,
        )


@dataclass(frozen=True)
class Inputs:
    """The files a validation reads."""

    data: tuple[Path, ...]
    ontology: tuple[Path, ...] = ()
    shapes: tuple[Path, ...] = ()
    checks: tuple[Path, ...] = ()
    # Data loaded with `data` but not reported on (the rest of the project's data/ttl/, for
    # `dakg validate FILE`): a reference to an entity it describes is not dangling.
    context: tuple[Path, ...] = ()

    @property
    def loaded(self) -> list[Path]:
        """Every file the store holds: the data, the context, the ontology."""
        return [*self.data, *self.context, *self.ontology]


@dataclass
class Outcome:
    """What a validation found, with what is needed to report it."""

    results: list[Result]
    shapes: rdflib.Graph
    checks: list[Check]
    inputs: Inputs
    triples: int
    locations: dict[Node, Location] = field(default_factory=dict)
    focus: frozenset[Node] | None = None

    def count(self, severity: URIRef) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def fails(self, fail_on: str = "violation") -> bool:
        """Whether any result is at or above the --fail-on level."""
        return any(r.rank >= FAIL_ON[fail_on] for r in self.results)

    def location(self, result: Result) -> Location | None:
        return self.locations.get(result.focus)


# ---------------------------------------------------------------- loading


def load_store(files: Iterable[Path]) -> ox.Store:
    """Parse Turtle files into a store, one named graph per file (its file: IRI), with the blank
    nodes parse_files gives (the same as the rdflib graphs': a result names one node)."""
    store = ox.Store()
    for path in files:
        graph = ox.NamedNode(path.resolve().as_uri())
        store.extend(ox.Quad(q.subject, q.predicate, q.object, graph) for q in parse_files([path]))
    return store


def parse_files(files: Iterable[Path]) -> Iterator[ox.Quad]:
    """The triples of Turtle files, literals exactly as written (a store normalises derived integer
    types), each blank node labelled by its file and its order there: every parse of a file gives
    the same nodes, and two files never share one."""
    for path in files:
        scope = hashlib.sha1(path.resolve().as_uri().encode()).hexdigest()[:10]
        labels: dict[str, ox.BlankNode] = {}
        with turtle_errors(path):
            for q in ox.parse(
                path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()
            ):
                yield ox.Quad(
                    labelled(q.subject, labels, scope),
                    q.predicate,
                    labelled(q.object, labels, scope),
                )


def labelled(term, labels: dict[str, ox.BlankNode], scope: str):
    """A term, a blank node replaced by the one of its file and order (see parse_files)."""
    if not isinstance(term, ox.BlankNode):
        return term
    found = labels.get(term.value)
    if found is None:
        found = labels[term.value] = ox.BlankNode(f"f{scope}b{len(labels)}")
    return found


@contextmanager
def turtle_errors(path: Path) -> Iterator[None]:
    """Turn a parser's or the file system's error into an RdfSourceError naming the file (and line)."""
    try:
        yield
    except SyntaxError as error:
        raise syntax_error(path, error) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RdfSourceError(path, str(error)) from None


def to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The triples of the quads as one rdflib graph (blank node ids kept)."""
    cache: dict[object, Node] = {}

    def term(t: object) -> Node:
        found = cache.get(t)
        if found is None:
            found = cache[t] = rdflib_term(t)
        return found

    graph = rdflib.Graph(bind_namespaces="none")
    # An ill-typed literal ("2022-13-01"^^xsd:date) is the shapes' to report (sh:datatype), not
    # rdflib's: its warning, with a traceback, is kept off standard error.
    term_log = logging.getLogger("rdflib.term")
    term_log.addFilter(ill_typed_warning)
    try:
        graph.addN((term(q.subject), term(q.predicate), term(q.object), graph) for q in quads)
    finally:
        term_log.removeFilter(ill_typed_warning)
    return graph


def ill_typed_warning(record: logging.LogRecord) -> bool:
    """False for rdflib's warning that a literal does not fit its datatype."""
    return not record.getMessage().startswith("Failed to convert Literal lexical form")


def rdflib_term(t: object) -> Node:
    """An rdflib term for a pyoxigraph term."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    assert isinstance(t, ox.Literal)
    if t.language:
        return Literal(t.value, lang=t.language)
    if t.datatype.value == str(XSD.string):
        return Literal(t.value)
    return Literal(t.value, datatype=URIRef(t.datatype.value), normalize=False)


def ox_term(t: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A pyoxigraph term for an rdflib term."""
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    assert isinstance(t, Literal)
    if t.language:
        return ox.Literal(str(t), language=t.language)
    return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype or XSD.string)))


def store_from(graph: rdflib.Graph) -> ox.Store:
    """A store holding an rdflib graph's triples in its default graph."""
    store = ox.Store()
    store.extend(ox.Quad(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in graph)
    return store


@dataclass(frozen=True)
class Shapes:
    """The shapes graph, with the SPARQL constraints of top-level node shapes taken out for pyoxigraph.

    `graph` is what pySHACL evaluates (every shape, minus those sh:sparql links); `sparql` maps
    each such node shape to its SPARQL constraints, whose nodes stay in the graph; `full` is the
    shapes graph as written ($shapesGraph). Loading checks every SPARQL query of the shapes against
    SHACL-SPARQL's syntax rules and the network allow-list (`allow`, DAKG_FEDERATION_ALLOW): a
    query that breaks one is an input error naming its file and shape.
    """

    graph: rdflib.Graph
    sparql: dict[Node, tuple[Node, ...]]
    full: rdflib.Graph | None = None

    @classmethod
    def load(cls, files: Iterable[Path], allow: Iterable[str] = ()) -> Shapes:
        files = list(files)
        graph = rdflib.Graph(bind_namespaces="none")
        owners: dict[Node, Path] = {}
        for path in files:
            part = to_rdflib(parse_files([path]))
            for subject in part.subjects(unique=True):
                owners.setdefault(subject, path)
            graph += part
        check_shape_queries(graph, owners, files, tuple(allow))
        full = rdflib.Graph(bind_namespaces="none")
        full += graph
        # A boolean parameter acts only when it is true as written: "1"^^xsd:boolean is not true
        # (rdflib reads its value as True, pySHACL with it).
        for parameter in BOOLEAN_PARAMETERS:
            for subject, value in list(graph.subject_objects(parameter)):
                if str(value) not in ("true", "false") or not isinstance(value, Literal):
                    graph.remove((subject, parameter, value))
        for prefix, namespace in (("sh", SH), ("xsd", XSD), ("rdf", RDF), ("rdfs", RDFS)):
            graph.bind(prefix, namespace)
        sparql = {
            shape: tuple(sorted(graph.objects(shape, SH.sparql), key=str))
            for shape in runner_shapes(graph)
        }
        for shape in sparql:
            graph.remove((shape, SH.sparql, None))
        return cls(graph, sparql, full)


BOOLEAN_PARAMETERS = (SH.uniqueLang, SH.closed, SH.qualifiedValueShapesDisjoint)
# The SPARQL of a shapes graph: constraints' and validators' queries (and rules', never run).
QUERY_PREDICATES = (SH.select, SH.ask, SH.construct)
VALIDATOR_PREDICATES = (SH.validator, SH.nodeValidator, SH.propertyValidator)
ALWAYS_PREBOUND = ("this", "shapesGraph", "currentShape")


def check_shape_queries(
    graph: rdflib.Graph, owners: dict[Node, Path], files: list[Path], allow: tuple[str, ...]
) -> None:
    """Refuse (RdfSourceError naming the file and the shape) a query of the shapes that SHACL-SPARQL
    forbids (SHACL 5.3.1: MINUS, VALUES, SERVICE, `AS` a pre-bound variable, a sub-select that does
    not return the pre-bound variables) or that would fetch an address off the allow-list."""
    from dakg.sparql.federation import NetworkRefused, check

    for predicate in QUERY_PREDICATES:
        for node, text in sorted(graph.subject_objects(predicate), key=lambda item: str(item[0])):
            shape = query_owner(graph, node)
            where = owners.get(node) or owners.get(shape) or (files[0] if files else "shapes")
            name = shape_name(graph, shape)
            try:
                check(str(text), allow)
            except NetworkRefused as error:
                raise RdfSourceError(
                    where,
                    f"shape {name}: its SPARQL query would fetch from the network (SERVICE), "
                    f"refused: {error}",
                ) from None
            problem = sparql_rule_broken(str(text), prebound_names(graph, node), bool(allow))
            if problem:
                raise RdfSourceError(
                    where, f"shape {name}: its SPARQL query {problem}, which SHACL-SPARQL forbids"
                )
            if not re.search(r"\bSERVICE\b", blanked(str(text)), re.IGNORECASE):
                try:  # on an empty store: whether it parses, with its sh:prefixes
                    ox.Store().query(prefixes_for(graph, node) + str(text))
                except SyntaxError as error:
                    raise RdfSourceError(
                        where, f"shape {name}: its SPARQL query does not parse: {error}"
                    ) from None


def query_owner(graph: rdflib.Graph, node: Node) -> Node:
    """The shape (or constraint component) a query node belongs to."""
    for predicate in (SH.sparql, *VALIDATOR_PREDICATES):
        holder = next(graph.subjects(predicate, node), None)
        if holder is not None:
            return holder
    return node


def shape_name(graph: rdflib.Graph, shape: Node) -> str:
    """A shape's name; a blank node shape's by the named shape it is in and its sh:path."""
    if not isinstance(shape, BNode):
        return display(shape)
    path = graph.value(shape, SH.path)
    named = f"(sh:path {display(path)})" if isinstance(path, URIRef) else f"_:{shape}"
    node, parent = shape, None
    for _ in range(16):  # up through sh:property, sh:node, lists of sh:or ...
        parent = next(graph.subjects(None, node), None)
        if parent is None or not isinstance(parent, BNode):
            break
        node = parent
    if parent is not None and not isinstance(parent, BNode):
        return f"{display(parent)}, its shape {named}"
    return f"the blank node shape {named}"


def prebound_names(graph: rdflib.Graph, node: Node) -> set[str]:
    """The variables pre-bound in a query: $this, $shapesGraph, $currentShape, and for a
    validator of a constraint component $value and the component's parameters."""
    names = set(ALWAYS_PREBOUND)
    for predicate in VALIDATOR_PREDICATES:
        for component in graph.subjects(predicate, node):
            names.add("value")
            for parameter in graph.objects(component, SH.parameter):
                path = graph.value(parameter, SH.path)
                if isinstance(path, URIRef):
                    names.add(re.split(r"[/#]", str(path))[-1])
    return names


def sparql_rule_broken(query: str, prebound: set[str], service_allowed: bool) -> str | None:
    """What in a query breaks SHACL-SPARQL's syntax rules (None when nothing does).

    SERVICE is for the allow-list to decide (federation.check): to an address on it, it is allowed.
    """
    text = blanked(query)
    for word in ("MINUS", "VALUES") + (() if service_allowed else ("SERVICE",)):
        if re.search(rf"(?<![?$\w:.-]){word}(?![\w:.-])", text, re.IGNORECASE):
            return f"uses {word}"
    names = "|".join(sorted(map(re.escape, prebound)))
    rebound = re.search(rf"(?<![?$\w:.-])AS\s*[?$]({names})(?!\w)", text, re.IGNORECASE)
    if rebound:
        return f"binds the pre-bound variable ${rebound.group(1)} with AS"
    for select in list(re.finditer(r"(?<![?$\w])SELECT\b", text, re.IGNORECASE))[1:]:
        opens = text.find("{", select.end())
        head = text[select.end() : opens if opens >= 0 else len(text)]
        body = group_after(text, select.end() + len(head))
        if re.match(r"\s*((DISTINCT|REDUCED)\s+)?\*", head, re.I):
            returned = set(re.findall(r"[?$](\w+)", without_filters(body)))
        else:
            returned = set(re.findall(r"[?$](\w+)", re.sub(r"\([^()]*\bAS\b", "(", head)))
            returned |= set(re.findall(r"\bAS\s*[?$](\w+)", head, re.I))
        missing = sorted(n for n in prebound - {"shapesGraph", "currentShape"}
                         if re.search(rf"[?$]{n}\b", query) and n not in returned)  # fmt: skip
        if missing:
            return f"has a sub-select that does not return the pre-bound ${missing[0]}"
    return None


def group_after(text: str, start: int) -> str:
    """The text of the {...} group that opens at or after `start`."""
    open_at = text.find("{", start)
    depth = 0
    for index in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[open_at : index + 1]
    return text[open_at:]


def without_filters(text: str) -> str:
    """The text with every FILTER's constraint taken out (its variables are not in scope)."""
    out, index = [], 0
    for match in re.finditer(r"\bFILTER\b\s*(NOT\s+EXISTS|EXISTS|[\w:]+)?\s*", text, re.I):
        if match.start() < index:
            continue
        out.append(text[index : match.start()])
        index = match.end()
        pairs = {"(": ")", "{": "}"}
        if index < len(text) and text[index] in pairs:
            opener, closer, depth = text[index], pairs[text[index]], 0
            while index < len(text):
                depth += 1 if text[index] == opener else -1 if text[index] == closer else 0
                index += 1
                if depth == 0:
                    break
    out.append(text[index:])
    return "".join(out)


def rdfs_closure(graph: rdflib.Graph) -> None:
    """Add what the RDFS rules for sub-properties, domains, ranges and sub-classes entail, in place.

    One pass in this order reaches the fixpoint: property triples first, then the types they give,
    then the super-classes of every type.
    """
    supers = {
        p: set(graph.transitive_objects(p, RDFS.subPropertyOf)) for p in set(graph.predicates())
    }
    for s, p, o in list(graph):
        for q in supers[p] - {p}:
            graph.add((s, q, o))
    typing = []
    for s, p, o in graph:
        typing += [(s, RDF.type, c) for c in graph.objects(p, RDFS.domain)]
        if not isinstance(o, Literal):
            typing += [(o, RDF.type, c) for c in graph.objects(p, RDFS.range)]
    for triple in typing:
        graph.add(triple)
    for s, c in list(graph.subject_objects(RDF.type)):
        for d in graph.transitive_objects(c, RDFS.subClassOf):
            graph.add((s, RDF.type, d))


# ---------------------------------------------------------------- pySHACL for the core constraints


def runner_shapes(shapes: rdflib.Graph) -> set[Node]:
    """Node shapes whose SPARQL constraints run on pyoxigraph: top-level, never nested in another shape."""
    nested = {o for p in SHAPE_PARAMETERS for o in shapes.objects(None, p)}
    for parameter in (SH["or"], SH["and"], SH.xone):
        for start in shapes.objects(None, parameter):
            nested.update(shapes.items(start))
    return {
        s
        for s in set(shapes.subjects(SH.sparql, None))
        if (s, SH.path, None) not in shapes and s not in nested
    }


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


def prefixes_for(shapes: rdflib.Graph, constraint: Node) -> str:
    """PREFIX lines for the sh:declare entries of a constraint's sh:prefixes values and of what
    they import (owl:imports, transitively: SHACL 5.2.1)."""
    lines = []
    todo, seen = list(shapes.objects(constraint, SH.prefixes)), set()
    while todo:
        holder = todo.pop()
        if holder in seen:
            continue
        seen.add(holder)
        todo.extend(shapes.objects(holder, OWL.imports))
        for declaration in shapes.objects(holder, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>\n")
    return "".join(sorted(set(lines)))


def prebound(query: str, values: dict[str, Node]) -> tuple[str, dict[str, Node]]:
    """The query with pre-bound variables replaced by their values, as SHACL defines pre-binding
    (5.3.1): every occurrence, in nested groups, FILTERs and sub-selects too; a projected one
    becomes `(value AS ?var)`, `bound(?var)` is true. A blank node cannot be written in a query:
    it stays a variable, left for pyoxigraph's substitution (returned)."""
    written = {
        name: str(ox_term(value)) for name, value in values.items() if not isinstance(value, BNode)
    }
    left = {name: value for name, value in values.items() if isinstance(value, BNode)}
    if not written:
        return query, left
    text = blanked(query)
    heads = []  # (start, end) of every projection: SELECT ... up to its group
    for select in re.finditer(r"(?<![?$\w])SELECT\b", text, re.IGNORECASE):
        opens = text.find("{", select.end())
        heads.append((select.end(), opens if opens >= 0 else len(text)))
    names = "|".join(map(re.escape, written))
    pattern = rf"\bBOUND\s*\(\s*[?$]({names})\s*\)|[?$]({names})(?!\w)"
    parts, index = [], 0
    for match in re.finditer(pattern, text, re.IGNORECASE):
        parts.append(query[index : match.start()])
        if match.group(1):
            parts.append("(true)")
        else:
            name = match.group(2)
            head = next((h for h in heads if h[0] <= match.start() < h[1]), None)
            if head is not None and depth_at(text, head[0], match.start()) == 0:
                parts.append(f"({written[name]} AS ?{name})")
            else:
                parts.append(written[name])
        index = match.end()
    parts.append(query[index:])
    return "".join(parts), left


def depth_at(text: str, start: int, end: int) -> int:
    """How many parentheses are open at `end`, counting from `start`."""
    return text.count("(", start, end) - text.count(")", start, end)


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


def blanked(query: str) -> str:
    """The query with comments, strings and IRIs blanked out, offsets kept (to scan its syntax)."""
    pattern = (
        r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
        r"|<[^<>\s]*>|#[^\n]*"
    )
    return re.sub(pattern, lambda m: " " * len(m.group(0)), query)


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


def with_values(query: str, targets: Iterable[Node], variable: str = "$this") -> str:
    """The query with `VALUES $this {...}` (or another variable) as the first element of its WHERE
    clause, the targets written as RDF terms."""
    brace = blanked(query).index("{")
    values = " ".join(str(ox_term(t)) for t in targets)
    return f"{query[: brace + 1]}\n    VALUES {variable} {{ {values} }}\n{query[brace + 1 :]}"


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


def display(term: Node) -> str:
    """A short text for a term: a prefixed name for an IRI of a known namespace, else <IRI>; a
    literal's lexical form."""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, namespace in PREFIXES_LONGEST_FIRST:
            local = text[len(namespace) :]
            if text.startswith(namespace) and re.fullmatch(r"[\w.-]*", local):
                return f"{prefix}:{local}"
        return f"<{text}>"
    return str(term)


def union_query(store: ox.Store, query: str) -> ox.QuerySolutions:
    return store.query(query, use_default_graph_as_union=True)


# ---------------------------------------------------------------- the internal queries


@functools.cache
def internal_queries() -> dict[str, str]:
    """The queries of rq/validation/ by name, read once."""
    folder = packaged.internal_queries("validation")
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rq"))}


def internal_query(name: str) -> str:
    """The text of one query of rq/validation/."""
    try:
        return internal_queries()[name]
    except KeyError:
        raise RdfSourceError(f"rq/validation/{name}.rq", "no such query") from None


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


# ---------------------------------------------------------------- where focus nodes are defined


def index_locations(files: Iterable[Path]) -> dict[Node, Location]:
    """Where each subject starts a line (the canonical layout), prefixed names expanded per file."""
    found: dict[Node, Location] = {}
    for path in files:
        prefixes: dict[str, str] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            declared = re.match(r"(?:PREFIX|@prefix)\s+([\w.-]*):\s*<([^>]*)>", line, re.IGNORECASE)
            if declared:
                prefixes[declared.group(1)] = declared.group(2)
                continue
            if not line or line[0] in " \t#.])[" or line.upper().startswith("BASE"):
                continue
            node = subject_node(line.split()[0], prefixes)
            if node is not None and node not in found:
                found[node] = Location(path, number)
    return found


def subject_node(token: str, prefixes: dict[str, str]) -> URIRef | None:
    """The IRI a subject token (<iri> or prefix:local) stands for."""
    if token.startswith("<") and token.endswith(">"):
        return URIRef(token[1:-1])
    prefix, sep, local = token.partition(":")
    if sep and prefix in prefixes:
        return URIRef(prefixes[prefix] + re.sub(r"\\(.)", r"\1", local))
    return None


def locations_for(
    results: list[Result], files: list[Path], data: rdflib.Graph, store: ox.Store
) -> dict[Node, Location]:
    """Where the focus node of each result is defined (a blank node where its owner is), reading
    only the files about those nodes."""
    owners = {r.focus: owner(r.focus, data, store) for r in results}
    index = index_locations(files_about(store, set(owners.values()), files))
    found = {}
    for node, iri in owners.items():
        where = index.get(iri) or mention(files, iri)
        if where is not None:
            found[node] = where
    return found


def owner(node: Node, data: rdflib.Graph, store: ox.Store) -> Node:
    """The node itself, or for a blank node the IRI subject that (through blank nodes) links to it."""
    for _ in range(8):
        if not isinstance(node, BNode):
            break
        node = next(data.subjects(None, node), None) or store_owner(store, node) or node
    return node


def store_owner(store: ox.Store, node: BNode) -> Node | None:
    """A subject that links to a blank node of the store."""
    for quad in store.quads_for_pattern(None, None, ox.BlankNode(str(node)), None):
        return rdflib_term(quad.subject)
    return None


def mention(files: list[Path], node: Node) -> Location | None:
    """The first line of any file that mentions an IRI (as <IRI> or as prefix:local)."""
    if not isinstance(node, URIRef):
        return None
    local = re.split(r"[/#]", str(node))[-1]
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if f"<{node}>" in line or re.search(rf":{re.escape(local)}(?![\w-])", line):
                if not line.upper().startswith(("PREFIX", "@PREFIX")):
                    return Location(path, number)
    return None


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


# ---------------------------------------------------------------- --changed-since


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
