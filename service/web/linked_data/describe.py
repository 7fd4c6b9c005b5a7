"""What the linked-data pages read from the graph: an entity's description, the vocabulary, the shapes.

The SPARQL lives in queries/resources/*.rq, loaded once when the pages start; the entity (or
class, graph, namespace) is bound as an RDF term by a VALUES block (service/sparql/values.py), never
pasted from the request.

A request's own queries (is the IRI known, its description, a graph's triples) run through the
app's executor (`Runner`), as /sparql's do: within its time limit and result caps, in its worker
processes where it has them. What is read once per dataset version and kept (the vocabulary, the
schema, the licence, the entities, the pillars, the labels) runs on the store itself (`run`), in
the thread that first needs it: it is bounded by the dataset, not by the request, and it is
shared by every request after the first.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyoxigraph as ox
from dakg.execution.executor import Executor, Rows
from dakg.rdf.namespaces import (
    GRAPH,
    OWL,
    RDF,
    RDF_TYPE,
    RDFS,
    RDFS_LABEL,
    SH,
    XSD,
)
from dakg.rdf.sources import RdfSourceError, is_skolem, turtle_files
from dakg.sparql.library import parse_query_file
from dakg.store.dataset import Dataset
from dakg.web import deps
from dakg.web.clients import client_address
from fastapi import Request

DEFAULT_LICENCE = "https://creativecommons.org/licenses/by/4.0/"
PAGE_SIZE = 200
VALUES_CLAUSE = re.compile(r"\A[a-zA-Z][a-zA-Z0-9_]*\Z")

Term = ox.NamedNode | ox.BlankNode | ox.Literal
PropertyMap = Mapping[str, tuple[Term, ...]]
EMPTY: Mapping[str, str] = MappingProxyType({})
EMPTY_SCHEMA: Mapping[str, PropertySchema] = MappingProxyType({})


@dataclass(frozen=True)
class ResourceQuery:
    """One query of queries/resources/: its name, title and text."""

    name: str
    title: str
    description: str
    text: str

    def for_people(self, **values: ox.NamedNode | ox.Literal) -> str:
        """The text with the values as a trailing VALUES clause, to read and run at /sparql."""
        body = "\n".join(line for line in self.text.splitlines() if not line.startswith("#"))
        if not values:
            return body.strip() + "\n"
        names = sorted(values)
        if not all(VALUES_CLAUSE.match(name) for name in names):
            raise ValueError(f"not variable names: {names}")
        terms = " ".join(str(values[name]) for name in names)
        variables = " ".join(f"?{name}" for name in names)
        return f"{body.strip()}\nVALUES ({variables}) {{ ({terms}) }}\n"


@dataclass(frozen=True)
class ResourceQueries:
    """The queries of queries/resources/, read once."""

    queries: Mapping[str, ResourceQuery]

    @classmethod
    def load(cls, directory: Path) -> ResourceQueries:
        found = {}
        for path in sorted(directory.glob("*.rq")):
            saved = parse_query_file(path)
            found[path.stem] = ResourceQuery(saved.name, saved.title, saved.description, saved.text)
        if not found:
            raise FileNotFoundError(f"no resource queries in {directory}")
        return cls(MappingProxyType(found))

    def __getitem__(self, name: str) -> ResourceQuery:
        return self.queries[name]


@dataclass(frozen=True)
class Status:
    """Whether an IRI is known, and whether (and by what) it was deprecated."""

    known: bool
    deprecated: bool = False
    replaced_by: str | None = None


@dataclass(frozen=True)
class Description:
    """An entity's description: its triples, owned blank nodes, linked labels, one page of incoming links."""

    entity: ox.NamedNode
    triples: tuple[ox.Triple, ...]
    incoming_total: int
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.incoming_total // self.page_size))

    def outgoing(self) -> list[ox.Triple]:
        """The triples with the entity as subject."""
        return [t for t in self.triples if t.subject == self.entity]

    def incoming(self) -> list[ox.Triple]:
        """The links on this page that point to the entity."""
        return [t for t in self.triples if t.object == self.entity and t.subject != self.entity]

    def about(self, node: ox.NamedNode | ox.BlankNode) -> dict[str, list[Term]]:
        """What the description says about a node, by predicate IRI."""
        found: dict[str, list[Term]] = defaultdict(list)
        for t in self.triples:
            if t.subject == node:
                found[t.predicate.value].append(t.object)
        return found


@dataclass(frozen=True)
class Entity:
    """An IRI of the instance namespace with its id type (initiative, agency, ...), classes and number."""

    iri: str
    kind: str
    classes: tuple[str, ...]
    number: int | None


@dataclass(frozen=True)
class VocabularyTerm:
    """A class, property or datatype of the vocabulary with everything the ontology says of it."""

    iri: str
    name: str
    properties: PropertyMap

    def values(self, predicate: str) -> tuple[Term, ...]:
        return self.properties.get(predicate, ())

    def iris(self, predicate: str) -> tuple[str, ...]:
        return tuple(v.value for v in self.values(predicate) if isinstance(v, ox.NamedNode))

    def texts(self, predicate: str) -> dict[str, str]:
        """Literal values by language ('' for none)."""
        return {
            (v.language or ""): v.value for v in self.values(predicate) if isinstance(v, ox.Literal)
        }

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.iris(RDF_TYPE)

    @property
    def is_class(self) -> bool:
        return bool({OWL + "Class", RDFS + "Class"} & set(self.kinds))

    @property
    def is_property(self) -> bool:
        props = {"ObjectProperty", "DatatypeProperty", "AnnotationProperty"}
        return (
            any(k in (OWL + p for p in props) for k in self.kinds) or RDF + "Property" in self.kinds
        )

    @property
    def is_object_property(self) -> bool:
        return OWL + "ObjectProperty" in self.kinds

    @property
    def is_datatype(self) -> bool:
        return RDFS + "Datatype" in self.kinds

    @property
    def deprecated(self) -> bool:
        return any(v.value == "true" for v in self.values(OWL + "deprecated"))


@dataclass(frozen=True)
class Vocabulary:
    """The ontology's own terms, by IRI."""

    namespace: str
    terms: Mapping[str, VocabularyTerm]

    def ancestors(self, cls: str) -> frozenset[str]:
        """The class and every class it is a subclass of, as the ontology says."""
        seen: set[str] = set()
        todo = [cls]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                term = self.terms.get(current)
                todo += list(term.iris(RDFS + "subClassOf")) if term else []
        return frozenset(seen)

    def is_a(self, classes: Iterable[str], cls: str) -> bool:
        """Whether something of these classes is an instance of cls."""
        return any(cls in self.ancestors(c) for c in classes)

    def classes(self) -> list[VocabularyTerm]:
        return sorted((t for t in self.terms.values() if t.is_class), key=lambda t: t.name)

    def properties(self) -> list[VocabularyTerm]:
        return sorted((t for t in self.terms.values() if t.is_property), key=lambda t: t.name)

    def datatypes(self) -> list[VocabularyTerm]:
        return sorted((t for t in self.terms.values() if t.is_datatype), key=lambda t: t.name)


@dataclass(frozen=True)
class ShapeConstraint:
    """One node or property shape's parameters (sh:path, sh:minCount, sh:message, ...)."""

    node: str
    parameters: PropertyMap

    def values(self, predicate: str) -> tuple[Term, ...]:
        return self.parameters.get(SH + predicate, ())

    @property
    def path(self) -> str | None:
        """The IRI of a predicate path (None for an inverse or complex path)."""
        paths = self.values("path")
        return paths[0].value if paths and isinstance(paths[0], ox.NamedNode) else None

    @property
    def path_text(self) -> str | None:
        """An inverse (`^<iri>`) or complex path as text."""
        paths = self.values("path")
        return paths[0].value if paths and isinstance(paths[0], ox.Literal) else None


@dataclass(frozen=True)
class Shape:
    """A SHACL shape, what it targets, and its property shapes."""

    iri: str
    targets: tuple[tuple[str, str], ...]
    own: ShapeConstraint
    properties: tuple[ShapeConstraint, ...]

    def targets_class(self, iri: str) -> bool:
        return ("class", iri) in self.targets

    def constrains(self, predicate: str) -> bool:
        """Whether the shape constrains values of the property (by path or by target)."""
        by_target = any(
            how in ("subjectsOf", "objectsOf") and t == predicate for how, t in self.targets
        )
        return (
            by_target
            or self.own.path == predicate
            or any(p.path == predicate for p in self.properties)
        )


@dataclass(frozen=True)
class PropertyUse:
    """One property of a class, as a query needs it: its IRI, what its values are (classes or
    datatypes) and how many a subject has (from the shapes; None where they set no bound)."""

    path: str
    ranges: tuple[str, ...]
    min_count: int | None
    max_count: int | None
    is_object: bool
    inverse: bool = False  # the path is `^path`: the subjects that link to the class by it

    @property
    def cardinality(self) -> str:
        return f"{self.min_count or 0}..{'*' if self.max_count is None else self.max_count}"


@dataclass(frozen=True)
class PropertySchema:
    """What the ontology says of one property, of any vocabulary: its kinds, domains and ranges."""

    iri: str
    kinds: frozenset[str]
    domains: tuple[str, ...]
    ranges: tuple[str, ...]

    @property
    def is_object(self) -> bool:
        return OWL + "ObjectProperty" in self.kinds


# The datatypes a value may have: a range of one of these is a literal, not a linked item.
LITERAL_RANGES = frozenset(
    {RDFS + "Literal", RDF + "langString", RDF + "PlainLiteral", RDF + "HTML", RDF + "XMLLiteral"}
)


Substitutions = Mapping[ox.Variable, object]


@dataclass(frozen=True)
class Runner:
    """One request's way to run a query: the app's executor, on behalf of the request's client,
    so that a page's queries get the time limit, the result caps, the worker processes and the
    fair sharing of /sparql (a query past the limit raises the executor's own error, which the
    app's table of refusals answers)."""

    executor: Executor
    client: str = ""

    @classmethod
    def of(cls, request: Request) -> Runner:
        """The app's executor, running a request's queries on behalf of its client."""
        return cls(deps.executor(request), client_address(request))

    async def rows(self, text: str, substitutions: Substitutions | None = None) -> Rows:
        return await self.executor.rows(text, self.client, substitutions)

    async def ask(self, text: str, substitutions: Substitutions | None = None) -> bool:
        return await self.executor.ask(text, self.client, substitutions)

    async def triples(
        self, text: str, substitutions: Substitutions | None = None
    ) -> list[ox.Triple]:
        return await self.executor.triples(text, self.client, substitutions)


def bound(terms: Mapping[str, ox.NamedNode | ox.Literal]) -> dict[ox.Variable, object]:
    """A resource query's variables bound to terms, by name."""
    return {ox.Variable(k): v for k, v in terms.items()}


@dataclass(frozen=True)
class Describer:
    """Runs the resource queries on a dataset."""

    dataset: Dataset
    queries: ResourceQueries

    def run(self, name: str, **terms: ox.NamedNode | ox.Literal):
        """Run a resource query on the store itself, with its variables bound to terms: for what
        is read once per dataset version and kept (see the module's docstring)."""
        return self.dataset.query(self.queries[name].text, substitutions=bound(terms))

    async def ask(self, runner: Runner, name: str, **terms: ox.NamedNode | ox.Literal) -> bool:
        """A request's ASK resource query, run by the executor."""
        return await runner.ask(self.queries[name].text, bound(terms))

    async def select(
        self, runner: Runner, name: str, **terms: ox.NamedNode | ox.Literal
    ) -> list[dict]:
        """A request's SELECT resource query's rows, run by the executor."""
        return (await runner.rows(self.queries[name].text, bound(terms)))[1]

    async def construct(
        self, runner: Runner, name: str, **terms: ox.NamedNode | ox.Literal
    ) -> list[ox.Triple]:
        """A request's CONSTRUCT resource query's triples, run by the executor."""
        return await runner.triples(self.queries[name].text, bound(terms))

    async def status(self, runner: Runner, iri: str) -> Status:
        """Whether the graph knows the IRI, and whether it is deprecated."""
        entity = ox.NamedNode(iri)
        if not await self.ask(runner, "exists", entity=entity):
            return Status(known=False)
        rows = await self.select(runner, "deprecation", entity=entity)
        if not rows:
            return Status(known=True)
        replacements = sorted(r["replacement"].value for r in rows if r["replacement"] is not None)
        return Status(
            known=True, deprecated=True, replaced_by=replacements[0] if replacements else None
        )

    async def description(
        self, runner: Runner, iri: str, page: int = 1, page_size: int = PAGE_SIZE
    ) -> Description:
        """A request's description of an entity (`describe`), its queries run by the executor."""
        entity = ox.NamedNode(iri)
        own = set(await self.construct(runner, "describe", entity=entity))
        own |= set(await self.construct(runner, "linked", entity=entity))
        incoming = await self.construct(runner, "incoming", entity=entity)
        return described(entity, own, incoming, page, page_size)

    async def linked_items(self, runner: Runner, iri: str) -> dict[str, dict[str, list[Term]]]:
        """Every IRI that links to the entity, with what it says, by item IRI (run by the
        executor)."""
        items: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for row in await self.select(runner, "linked-items", entity=ox.NamedNode(iri)):
            items[row["item"].value][row["p"].value].append(row["o"])
        return {k: dict(v) for k, v in items.items()}

    async def graph_triples(self, runner: Runner, graph: str) -> list[ox.Triple]:
        """Every triple of one named graph, run by the executor."""
        return await self.construct(runner, "graph", graph=ox.NamedNode(graph))

    def labels(self) -> dict[str, dict[str, str]]:
        """Every IRI's labels, by language ('' for a label without one)."""
        found: dict[str, dict[str, str]] = defaultdict(dict)
        rows = sorted(
            (
                (r["item"].value, r["label"].language or "", r["label"].value)
                for r in self.run("labels")
            ),
        )
        for iri, lang, text in rows:
            found[iri].setdefault(lang, text)
        return dict(found)

    def labels_of(self, iri: str) -> Mapping[str, str]:
        """One IRI's labels by language, chosen as `labels` chooses them."""
        try:
            item = ox.NamedNode(iri)
        except ValueError:  # not an IRI: no labels, as in `labels`
            return EMPTY
        found: dict[str, str] = {}
        rows = sorted(
            (r["label"].language or "", r["label"].value) for r in self.run("labels", item=item)
        )
        for lang, text in rows:
            found.setdefault(lang, text)
        return MappingProxyType(found)

    def entities(self, namespace: str) -> list[Entity]:
        """Every IRI under the instance namespace, with its id type, classes and number."""
        classes: dict[str, set[str]] = defaultdict(set)
        numbers: dict[str, int] = {}
        for row in self.run("entities", namespace=ox.Literal(namespace)):
            iri = row["item"].value
            classes[iri]
            if row["type"] is not None:
                classes[iri].add(row["type"].value)
            if row["number"] is not None and re.fullmatch(r"[+-]?\d+", row["number"].value):
                numbers.setdefault(iri, int(row["number"].value))
        return [
            Entity(
                iri,
                iri[len(namespace) :].split("/", 1)[0],
                tuple(sorted(classes[iri])),
                numbers.get(iri),
            )
            for iri in sorted(classes)
        ]

    def vocabulary(self, namespace: str) -> Vocabulary:
        """The ontology's own classes, properties and datatypes."""
        found: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for row in self.run("vocabulary", namespace=ox.Literal(namespace)):
            found[row["term"].value][row["p"].value].append(row["o"])
        terms = {
            iri: VocabularyTerm(iri, iri[len(namespace) :], freeze(props))
            for iri, props in sorted(found.items())
        }
        return Vocabulary(namespace, MappingProxyType(terms))

    def schema(self) -> dict[str, PropertySchema]:
        """Every property the ontology declares (ours and other vocabularies'), by IRI."""
        kinds: dict[str, set[str]] = defaultdict(set)
        domains: dict[str, set[str]] = defaultdict(set)
        ranges: dict[str, set[str]] = defaultdict(set)
        for row in self.run("schema"):
            iri = row["property"].value
            kinds[iri].add(row["kind"].value)
            if row["domain"] is not None:
                domains[iri].add(row["domain"].value)
            if row["range"] is not None:
                ranges[iri].add(row["range"].value)
        return {
            iri: PropertySchema(
                iri, frozenset(kinds[iri]), tuple(sorted(domains[iri])), tuple(sorted(ranges[iri]))
            )
            for iri in sorted(kinds)
        }

    def licence(self) -> str:
        """The data's licence: a dataset description's, else the ontology's, else CC BY 4.0."""
        for row in self.run("licence"):
            return row["licence"].value
        return DEFAULT_LICENCE

    def pillars(self) -> list[tuple[str, list[str]]]:
        """The pillars in order, each with its initiatives in order."""
        pillars: dict[str, list[str]] = {}
        for row in self.run("pillars"):
            initiatives = pillars.setdefault(row["pillar"].value, [])
            if row["initiative"] is not None and row["initiative"].value not in initiatives:
                initiatives.append(row["initiative"].value)
        return list(pillars.items())


def described(
    entity: ox.NamedNode,
    own: set[ox.Triple],
    incoming: list[ox.Triple],
    page: int,
    page_size: int,
) -> Description:
    """An entity's description from its own triples and the triples of what links to it: the
    page asked for of its incoming links, with what their subjects say."""
    links = sorted(
        {t for t in incoming if t.object == entity and t.subject != entity},
        key=lambda t: (t.predicate.value, t.subject.value),
    )
    start = (page - 1) * page_size
    shown = links[start : start + page_size]
    sources = {t.subject for t in shown}
    about_sources = {t for t in incoming if t.subject in sources and t.object != entity}
    triples = sort_triples(own | set(shown) | about_sources, entity)
    return Description(entity, tuple(triples), len(links), page, page_size)


def freeze(props: Mapping[str, Iterable[Term]]) -> PropertyMap:
    """An immutable property map with values in a stable order."""
    return MappingProxyType({p: tuple(sorted(set(v), key=str)) for p, v in sorted(props.items())})


def sort_triples(
    triples: Iterable[ox.Triple], entity: ox.NamedNode | None = None
) -> list[ox.Triple]:
    """The entity's triples first, then by subject (IRIs before blank nodes), predicate, object."""

    def key(t: ox.Triple) -> tuple:
        subject_rank = 0 if t.subject == entity else (2 if owned(t.subject) else 1)
        type_first = 0 if t.predicate.value == RDF_TYPE else 1
        return (subject_rank, str(t.subject), type_first, t.predicate.value, str(t.object))

    return sorted(triples, key=key)


LIST_PARAMETERS = {SH + p for p in ("in", "languageIn", "or", "and", "xone", "ignoredProperties")}


def owned(term: Term | None) -> bool:
    """Whether a term is a blank node, or a source's blank node as published (its skolem IRI)."""
    return isinstance(term, ox.BlankNode) or is_skolem(term)


def rdf_list(store: ox.Store, head: Term) -> list[Term]:
    """The members of an RDF list (a term that is not a list stands for itself)."""
    if not owned(head):
        return [head]
    items: list[Term] = []
    seen: set[Term] = set()
    node: Term = head
    first, rest = ox.NamedNode(RDF + "first"), ox.NamedNode(RDF + "rest")
    while owned(node) and node not in seen:
        seen.add(node)
        items += [q.object for q in store.quads_for_pattern(node, first, None)]
        node = next((q.object for q in store.quads_for_pattern(node, rest, None)), None)
    return items


def path_term(store: ox.Store, path: Term) -> Term:
    """A SHACL path: an IRI as itself, an inverse path as the literal `^<iri>`, others as `(path)`."""
    if not isinstance(path, ox.BlankNode):
        return path
    inverse = [
        q.object for q in store.quads_for_pattern(path, ox.NamedNode(SH + "inversePath"), None)
    ]
    if inverse and isinstance(inverse[0], ox.NamedNode):
        return ox.Literal(f"^<{inverse[0].value}>")
    return ox.Literal("(path)")


def load_shapes(directory: Path, queries: ResourceQueries) -> tuple[Shape, ...]:
    """The SHACL shapes of shapes/*.ttl (none when the folder is missing, empty or unreadable)."""
    if not directory.is_dir():
        return ()
    store = ox.Store()
    try:
        for path in turtle_files([directory]):
            store.bulk_load(
                path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()
            )
    except (SyntaxError, OSError, ValueError, RdfSourceError):
        return ()
    targets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in store.query(queries["shape-targets"].text):
        targets[row["shape"].value].add((row["how"].value, row["target"].value))
    params: dict[str, dict[str, dict[str, list[Term]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for row in store.query(queries["shape-constraints"].text):
        params[str(row["shape"])][str(row["constraint"])][row["p"].value].append(row["o"])
    for constraints in params.values():
        for values in constraints.values():
            for predicate in LIST_PARAMETERS & set(values):
                values[predicate] = [i for v in values[predicate] for i in rdf_list(store, v)]
            if SH + "path" in values:
                values[SH + "path"] = [path_term(store, p) for p in values[SH + "path"]]
    nested = {
        node for shape, constraints in params.items() for node in constraints if node != shape
    }
    shapes = []
    for shape, constraints in sorted(params.items()):
        if not shape.startswith("<") or (shape in nested and shape[1:-1] not in targets):
            continue  # blank-node shapes and the property shapes of another shape are shown inside it
        iri = shape[1:-1]
        own = ShapeConstraint(iri, freeze(constraints.get(shape, {})))
        props = tuple(
            ShapeConstraint(node, freeze(values))
            for node, values in sorted(constraints.items())
            if node != shape
        )
        shapes.append(Shape(iri, tuple(sorted(targets.get(iri, ()))), own, props))
    return tuple(shapes)


class Labels:
    """Every IRI's labels by language ('' for none), as `Describer.labels` gives them, read when
    first asked: at once for the whole graph (in memory, and on an engine, where one query costs
    less than one a label), or one IRI at a time on an on-disk store, whose graph may be too large
    to read every label of (a second at 100k triples, ten at a million)."""

    # The IRIs whose labels are kept, on an on-disk store, before the oldest are forgotten.
    KEEP = 200_000

    def __init__(self, describer: Describer, whole: bool):
        self.describer = describer
        self.whole = whole
        self.found: dict[str, Mapping[str, str]] = {}
        self.complete = False
        self.lock = threading.Lock()

    def _all(self) -> dict[str, Mapping[str, str]]:
        with self.lock:
            if not self.complete:
                self.found = {k: MappingProxyType(v) for k, v in self.describer.labels().items()}
                self.complete = True
        return self.found

    def of(self, iri: str) -> Mapping[str, str]:
        """The labels of one IRI (empty when it has none)."""
        if self.whole:
            return self._all().get(iri, EMPTY)
        labels = self.found.get(iri)
        if labels is None:
            labels = self.describer.labels_of(iri)
            if len(self.found) >= self.KEEP:
                self.found.clear()
            self.found[iri] = labels
        return labels

    def get(self, iri: str, default: Mapping[str, str] | None = None) -> Mapping[str, str] | None:
        return self.of(iri) or default

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and bool(self.of(iri))


class Catalogue:
    """Everything the pages read once per dataset. The vocabulary, shapes and licence are read
    when the catalogue is built (a few bounded queries, a fraction of a second at a million
    triples); the entities (every IRI of the instance namespace: a scan of the whole graph) and
    the pillars when first used; the labels as `Labels` says."""

    def __init__(
        self,
        describer: Describer,
        base_iri: str,
        vocabulary: Vocabulary,
        shapes: tuple[Shape, ...],
        licence: str,
        ontology_graphs: tuple[str, ...] = (),
        schema: Mapping[str, PropertySchema] = EMPTY_SCHEMA,
    ):
        self.describer = describer
        self.base_iri = base_iri
        self.vocabulary = vocabulary
        self.shapes = shapes
        self.licence = licence
        self.ontology_graphs = ontology_graphs
        self.schema = schema
        self.labels = Labels(describer, whole=not describer.dataset.config.kind.on_disk)
        self.lock = threading.RLock()
        self._entities: tuple[Entity, ...] | None = None
        self._kind_classes: dict[str, tuple[tuple[str, ...], ...]] | None = None
        self._pillars: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    @classmethod
    def build(cls, describer: Describer, base_iri: str, shapes_dir: Path) -> Catalogue:
        ontology_graphs = tuple(
            s.graph for s in describer.dataset.sources if s.graph.startswith(GRAPH + "ontology/")
        )
        return cls(
            describer,
            base_iri,
            vocabulary=describer.vocabulary(base_iri + "def/"),
            shapes=load_shapes(shapes_dir, describer.queries),
            licence=describer.licence(),
            ontology_graphs=ontology_graphs,
            schema=MappingProxyType(describer.schema()),
        )

    @property
    def entities(self) -> tuple[Entity, ...]:
        """Every IRI under the instance namespace (read on first use, then kept)."""
        with self.lock:
            if self._entities is None:
                self._entities = tuple(self.describer.entities(self.base_iri + "id/"))
            return self._entities

    def kind_classes(self, kind: str) -> tuple[tuple[str, ...], ...]:
        """The classes of each typed entity of an id type (as `entities` has them), read on first
        use for every type at once. On pyoxigraph that is one pass over the `rdf:type` triples,
        not the scan of the whole graph the entity list needs (a tenth of the triples at 1M)."""
        with self.lock:
            if self._kind_classes is None:
                self._kind_classes = self._read_kind_classes()
            return self._kind_classes.get(kind, ())

    def _read_kind_classes(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        namespace = self.base_iri + "id/"
        dataset = self.describer.dataset
        classes: dict[str, set[str]] = defaultdict(set)
        if self._entities is not None or not dataset.embedded:
            for entity in self.entities:
                classes[entity.iri].update(entity.classes)
        else:
            for quad in dataset.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None):
                subject = quad.subject
                if isinstance(subject, ox.NamedNode) and subject.value.startswith(namespace):
                    classes[subject.value].add(quad.object.value)
        by_kind: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for iri, found in sorted(classes.items()):
            if found:
                by_kind[iri[len(namespace) :].split("/", 1)[0]].append(tuple(sorted(found)))
        return {kind: tuple(found) for kind, found in by_kind.items()}

    @property
    def pillars(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The pillars in order with their initiatives (read on first use, then kept)."""
        with self.lock:
            if self._pillars is None:
                self._pillars = tuple((p, tuple(i)) for p, i in self.describer.pillars())
            return self._pillars

    def entities_of(self, kind: str) -> list[Entity]:
        return [e for e in self.entities if e.kind == kind]

    def kinds(self) -> dict[str, int]:
        """The id types in use, with how many entities each has."""
        counts: dict[str, int] = defaultdict(int)
        for entity in self.entities:
            counts[entity.kind] += 1
        return dict(sorted(counts.items()))

    def shapes_for_class(self, iri: str) -> list[Shape]:
        return [s for s in self.shapes if s.targets_class(iri)]

    def shapes_for_property(self, iri: str) -> list[Shape]:
        return [s for s in self.shapes if s.constrains(iri)]

    def is_class(self, iri: str) -> bool:
        """Whether an IRI is a class the ontology or the shapes name (not a datatype)."""
        term = self.vocabulary.terms.get(iri)
        if term is not None:
            return term.is_class
        return iri not in LITERAL_RANGES and not iri.startswith(XSD)

    def property_uses(self, cls: str) -> list[PropertyUse]:
        """The properties of a class, by IRI: every predicate path of the shapes that target it
        (their bounds combined: the highest sh:minCount, the lowest sh:maxCount) with the
        sh:class, sh:node or sh:datatype they expect, else the ontology's range; then the
        properties the ontology gives the class as domain that no shape names."""
        found: dict[str, dict[str, Any]] = {}
        for shape in self.shapes_for_class(cls):
            for constraint in (shape.own, *shape.properties):
                path = constraint.path
                text = constraint.path_text or ""
                if path is None and text.startswith("^<") and text.endswith(">"):
                    path = text  # an inverse path, `^<iri>`, as the shapes give it
                if path is None:
                    continue
                use = found.setdefault(path, {"ranges": set(), "min": None, "max": None})
                for name in ("class", "node", "datatype"):
                    use["ranges"] |= {
                        v.value for v in constraint.values(name) if isinstance(v, ox.NamedNode)
                    }
                for name, pick in (("minCount", max), ("maxCount", min)):
                    key = "min" if name == "minCount" else "max"
                    for v in constraint.values(name):
                        if isinstance(v, ox.Literal) and v.value.isdigit():
                            number = int(v.value)
                            use[key] = number if use[key] is None else pick(use[key], number)
        for iri, schema in self.schema.items():
            if cls in schema.domains and iri not in found:
                found[iri] = {"ranges": set(), "min": None, "max": None}
        uses = []
        for key, use in sorted(found.items(), key=lambda item: (item[0].startswith("^"), item[0])):
            inverse = key.startswith("^<")
            path = key[2:-1] if inverse else key
            schema = self.schema.get(path)
            ranges = use["ranges"] or set(schema.ranges if schema else ())
            # A node shape (sh:node shapes:...) stands for the class it targets.
            ranges = {self.shape_class(r) for r in ranges}
            is_object = (schema.is_object if schema else False) or any(
                self.is_class(r) for r in ranges
            )
            if ranges and not any(self.is_class(r) for r in ranges):
                is_object = False
            if inverse:  # what links to the class is a subject of the property: its domain
                ranges = set(use["ranges"]) or set(schema.domains if schema else ())
                is_object = True
            uses.append(
                PropertyUse(path, tuple(sorted(ranges)), use["min"], use["max"], is_object, inverse)
            )
        return uses

    def shape_class(self, iri: str) -> str:
        """The class a node shape targets (for a shape of one class), else the IRI itself."""
        for shape in self.shapes:
            if shape.iri == iri:
                classes = sorted(t for how, t in shape.targets if how == "class")
                if len(classes) == 1:
                    return classes[0]
        return iri

    def model_edges(self) -> list[tuple[str, str, str]]:
        """The links between classes, as (class, object property, class): from the shapes'
        sh:class and sh:node of each class, and from the ontology's domain and range."""
        edges: set[tuple[str, str, str]] = set()
        for cls in self.vocabulary.classes():
            for use in self.property_uses(cls.iri):
                if use.is_object and not use.inverse:
                    edges |= {(cls.iri, use.path, r) for r in use.ranges if self.is_class(r)}
        for iri, schema in self.schema.items():
            if schema.is_object:
                edges |= {
                    (d, iri, r)
                    for d in schema.domains
                    for r in schema.ranges
                    if self.is_class(d) and self.is_class(r)
                }
        return sorted(edges)

    def instances(self, cls: str) -> int:
        """How many entities are stated to be of the class (`rdf:type`, no inference)."""
        return sum(1 for e in self.entities if cls in e.classes)

    def examples(self, cls: str) -> list[tuple[str, dict[str, str]]]:
        """The example queries of a class with instances, as (resource query, IRIs to bind): its
        instances with their labels; following one object property (one every instance has,
        by the shapes, if there is one); the values of one datatype property, label aside (the
        labels, where the class has nothing else)."""
        if not self.instances(cls):
            return []
        uses = [u for u in self.property_uses(cls) if not u.inverse]
        found = [("example-instances", {"class": cls})]

        def best(candidates: list[PropertyUse]) -> PropertyUse | None:
            ranked = sorted(candidates, key=lambda u: (not u.min_count, u.path))
            return ranked[0] if ranked else None

        linked = best([u for u in uses if u.is_object])
        if linked:
            found.append(("example-follow", {"class": cls, "property": linked.path}))
        valued = best([u for u in uses if not u.is_object and u.path != RDFS_LABEL and u.ranges])
        if valued:
            found.append(("example-values", {"class": cls, "property": valued.path}))
        elif len(found) < 2:  # a class with labels alone (every entity has them): its labels
            found.append(("example-values", {"class": cls, "property": RDFS_LABEL}))
        return found
