"""The shapes graph as the validation uses it: loaded once with its SPARQL constraints, which are held to SHACL-SPARQL's syntax rules before they run (no MINUS, VALUES, SERVICE or sub-select where SHACL forbids them; the prebound variables)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from dakg.rdf.namespaces import curie
from dakg.rdf.sources import RdfSourceError
from dakg.validation.model import SHAPE_PARAMETERS
from dakg.validation.rdfio import ox_term, parse_files, to_rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node


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


def blanked(query: str) -> str:
    """The query with comments, strings and IRIs blanked out, offsets kept (to scan its syntax)."""
    pattern = (
        r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
        r"|<[^<>\s]*>|#[^\n]*"
    )
    return re.sub(pattern, lambda m: " " * len(m.group(0)), query)


# The local names a prefixed name in a message keeps (else the IRI is written whole).
LOCAL_NAME = re.compile(r"[\w.-]*")


def display(term: Node) -> str:
    """A short text for a term: a prefixed name for an IRI of a known namespace, else <IRI>; a
    literal's lexical form."""
    if isinstance(term, URIRef):
        return curie(str(term), local=LOCAL_NAME) or f"<{term}>"
    return str(term)


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


def depth_at(text: str, start: int, end: int) -> int:
    """How many parentheses are open at `end`, counting from `start`."""
    return text.count("(", start, end) - text.count(")", start, end)
