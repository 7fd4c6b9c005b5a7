"""The JSON-LD @context published at /context.jsonld, generated from the ontology, and compaction to it.

Every term of the vocabulary is a compact key (object properties coerced to `@id`, language
strings as language maps, single-datatype properties typed); a few terms of other vocabularies
that the data uses everywhere (label, definition, source, ...) get short keys too. Compaction
here is the subset of the JSON-LD algorithm the graph needs: it never loses a triple, so a
processor that expands the answer with the published context gets the Turtle answer back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pyoxigraph as ox
from dakg.rdf.namespaces import (
    ADMS,
    DCTERMS,
    OWL,
    RDF,
    RDF_TYPE,
    RDFS,
    SKOS,
    TIME,
    VANN,
    VOCABULARY_PREFIXES,
    XSD,
    curie,
)
from dakg.web.linked_data.describe import Vocabulary, VocabularyTerm

ID, LANGUAGE = "@id", "@language"

# Short keys for terms of other vocabularies that the data uses throughout: (key, IRI, @type or
# "@language" for a language map, or None).
EXTERNAL_TERMS: tuple[tuple[str, str, str | None], ...] = (
    ("label", RDFS + "label", LANGUAGE),
    ("comment", RDFS + "comment", LANGUAGE),
    ("seeAlso", RDFS + "seeAlso", ID),
    ("subClassOf", RDFS + "subClassOf", ID),
    ("subPropertyOf", RDFS + "subPropertyOf", ID),
    ("domain", RDFS + "domain", ID),
    ("range", RDFS + "range", ID),
    ("definition", SKOS + "definition", LANGUAGE),
    ("prefLabel", SKOS + "prefLabel", LANGUAGE),
    ("altLabel", SKOS + "altLabel", LANGUAGE),
    ("notation", SKOS + "notation", None),
    ("inScheme", SKOS + "inScheme", ID),
    ("topConceptOf", SKOS + "topConceptOf", ID),
    ("hasTopConcept", SKOS + "hasTopConcept", ID),
    ("broader", SKOS + "broader", ID),
    ("closeMatch", SKOS + "closeMatch", ID),
    ("exactMatch", SKOS + "exactMatch", ID),
    ("source", DCTERMS + "source", ID),
    ("isPartOf", DCTERMS + "isPartOf", ID),
    ("hasPart", DCTERMS + "hasPart", ID),
    ("title", DCTERMS + "title", LANGUAGE),
    ("issued", DCTERMS + "issued", XSD + "date"),
    ("modified", DCTERMS + "modified", XSD + "date"),
    ("publisher", DCTERMS + "publisher", ID),
    ("creator", DCTERMS + "creator", ID),
    ("license", DCTERMS + "license", ID),
    ("temporal", DCTERMS + "temporal", ID),
    ("language", DCTERMS + "language", None),
    ("isReplacedBy", DCTERMS + "isReplacedBy", ID),
    ("replaces", DCTERMS + "replaces", ID),
    ("sameAs", OWL + "sameAs", ID),
    ("deprecated", OWL + "deprecated", XSD + "boolean"),
    ("versionInfo", OWL + "versionInfo", None),
    ("versionIRI", OWL + "versionIRI", ID),
    ("identifier", ADMS + "identifier", ID),
    ("schemaAgency", ADMS + "schemaAgency", LANGUAGE),
    ("hasBeginning", TIME + "hasBeginning", ID),
    ("hasEnd", TIME + "hasEnd", ID),
    ("inXSDDate", TIME + "inXSDDate", XSD + "date"),
    ("preferredNamespacePrefix", VANN + "preferredNamespacePrefix", None),
    ("preferredNamespaceUri", VANN + "preferredNamespaceUri", None),
)


@dataclass(frozen=True)
class TermDefinition:
    """One key of the context: the IRI it stands for, its coercion and container."""

    key: str
    iri: str
    type: str | None = None
    container: str | None = None

    def takes(self, value: ox.NamedNode | ox.BlankNode | ox.Literal) -> bool:
        """Whether a value can be written under this key without losing anything."""
        if self.container == LANGUAGE:
            return isinstance(value, ox.Literal) and bool(value.language)
        if self.type == ID:
            return not isinstance(value, ox.Literal)
        if not isinstance(value, ox.Literal):
            return False
        if self.type is not None:
            return value.language is None and value.datatype.value == self.type
        return value.language is None and value.datatype.value == XSD + "string"


@dataclass(frozen=True)
class JsonLdContext:
    """The published context and what compaction needs from it."""

    prefixes: Mapping[str, str]
    terms: tuple[TermDefinition, ...]

    def document(self) -> dict[str, Any]:
        """The context as published: {"@context": {...}}."""
        body: dict[str, Any] = {"id": "@id", "type": "@type"}
        body.update(self.prefixes)
        for term in self.terms:
            definition: dict[str, str] = {"@id": self.compact_iri(term.iri)}
            if term.type is not None:
                definition["@type"] = term.type if term.type == ID else self.compact_iri(term.type)
            if term.container is not None:
                definition["@container"] = term.container
            body[term.key] = definition if len(definition) > 1 else definition["@id"]
        return {"@context": body}

    def compact_iri(self, iri: str) -> str:
        """prefix:local for an IRI in a declared namespace, else the IRI itself (also when the
        local part would start with `//`, which a JSON-LD processor reads as an IRI)."""
        found = curie(iri, self.prefixes)
        return iri if found is None or found.partition(":")[2].startswith("//") else found

    def type_value(self, iri: str) -> str:
        """A class IRI as an @type value: its key when it has one, else a compact IRI."""
        for term in self.terms:
            if term.iri == iri and term.type is None and term.container is None:
                return term.key
        return self.compact_iri(iri)

    def key_for(
        self, predicate: str, value: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> TermDefinition:
        """The key a value of the predicate goes under: a term that takes it, else the compact IRI."""
        for term in self.terms:
            if term.iri == predicate and term.takes(value):
                return term
        return TermDefinition(self.compact_iri(predicate), predicate)


def term_definition(term: VocabularyTerm) -> TermDefinition:
    """The context entry of one vocabulary term, from its kind and range."""
    ranges = term.iris(RDFS + "range")
    if term.is_object_property:
        return TermDefinition(term.name, term.iri, type=ID)
    # A language-tagged text: rdf:PlainLiteral in the ontology (OWL 2 DL), rdf:langString in RDF 1.1.
    if term.is_property and ranges in ((RDF + "PlainLiteral",), (RDF + "langString",)):
        return TermDefinition(term.name, term.iri, container=LANGUAGE)
    if (
        term.is_property
        and len(ranges) == 1
        and ranges[0].startswith(XSD)
        and ranges[0] != XSD + "string"
    ):
        return TermDefinition(term.name, term.iri, type=ranges[0])
    return TermDefinition(term.name, term.iri)


def build_context(vocabulary: Vocabulary) -> JsonLdContext:
    """The context of the vocabulary: its terms first, then other vocabularies' short keys, then prefixes."""
    taken = {"id", "type"}
    terms: list[TermDefinition] = []
    for term in sorted(vocabulary.terms.values(), key=lambda t: t.name):
        if term.name and term.name not in taken and term.name.isidentifier():
            terms.append(term_definition(term))
            taken.add(term.name)
    for key, iri, kind in EXTERNAL_TERMS:
        if key in taken:
            continue
        container = LANGUAGE if kind == LANGUAGE else None
        terms.append(TermDefinition(key, iri, None if container else kind, container))
        taken.add(key)
    prefixes = {p: ns for p, ns in sorted(VOCABULARY_PREFIXES.items()) if p not in taken}
    prefixes["dakg"] = vocabulary.namespace
    return JsonLdContext(MappingProxyType(prefixes), tuple(terms))


class _Compactor:
    """Writes triples as compact JSON-LD node objects (one use, holds its working state)."""

    def __init__(self, context: JsonLdContext, triples: Iterable[ox.Triple]):
        self.context = context
        self.about: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = defaultdict(list)
        self.references: dict[ox.BlankNode, int] = defaultdict(int)
        for t in triples:
            self.about[t.subject].append(t)
            if isinstance(t.object, ox.BlankNode):
                self.references[t.object] += 1
        self.labels: dict[ox.BlankNode, str] = {}
        self.emitted: set[ox.NamedNode | ox.BlankNode] = set()

    def blank_id(self, node: ox.BlankNode) -> str:
        return "_:" + self.labels.setdefault(node, f"b{len(self.labels)}")

    def embeddable(self, node: ox.NamedNode | ox.BlankNode) -> bool:
        """A blank node described here and pointed to once is written inside its one referrer."""
        return isinstance(node, ox.BlankNode) and node in self.about and self.references[node] == 1

    def graph(self, first: ox.NamedNode | None) -> list[dict[str, Any]]:
        order = sorted(self.about, key=lambda s: (s != first, isinstance(s, ox.BlankNode), str(s)))
        nodes = [self.node(s, top=True) for s in order if not self.embeddable(s)]
        nodes += [self.node(s, top=True) for s in order if s not in self.emitted]
        return nodes

    def node(self, subject: ox.NamedNode | ox.BlankNode, top: bool) -> dict[str, Any]:
        self.emitted.add(subject)
        out: dict[str, Any] = {}
        if isinstance(subject, ox.NamedNode):
            out["id"] = self.context.compact_iri(subject.value)
        elif top:
            out["id"] = self.blank_id(subject)
        types = sorted(
            self.context.type_value(t.object.value)
            for t in self.about[subject]
            if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode)
        )
        if types:
            out["type"] = types[0] if len(types) == 1 else types
        grouped: dict[str, tuple[TermDefinition, list[Any]]] = {}
        for t in sorted(self.about[subject], key=lambda t: (t.predicate.value, str(t.object))):
            if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
                continue
            term = self.context.key_for(t.predicate.value, t.object)
            grouped.setdefault(term.key, (term, []))[1].append(self.value(term, t.object))
        for key in sorted(grouped, key=lambda k: (k != "label", k)):
            term, values = grouped[key]
            out[key] = self.language_map(values) if term.container == LANGUAGE else single(values)
        return out

    def value(self, term: TermDefinition, obj: ox.NamedNode | ox.BlankNode | ox.Literal) -> Any:
        if isinstance(obj, ox.Literal):
            if term.container == LANGUAGE:
                return (obj.language, obj.value)
            if term.type is not None or (
                obj.language is None and obj.datatype.value == XSD + "string"
            ):
                return obj.value
            if obj.language:
                return {"@value": obj.value, "@language": obj.language}
            return {"@value": obj.value, "@type": self.context.compact_iri(obj.datatype.value)}
        if isinstance(obj, ox.BlankNode) and self.embeddable(obj) and obj not in self.emitted:
            return self.node(obj, top=False)
        ref = (
            self.blank_id(obj)
            if isinstance(obj, ox.BlankNode)
            else self.context.compact_iri(obj.value)
        )
        return ref if term.type == ID else {"@id": ref}

    @staticmethod
    def language_map(values: list[tuple[str, str]]) -> dict[str, Any]:
        found: dict[str, list[str]] = defaultdict(list)
        for lang, text in values:
            found[lang].append(text)
        return {lang: single(texts) for lang, texts in sorted(found.items())}


def single(values: list[Any]) -> Any:
    """One value as itself, several as a list."""
    return values[0] if len(values) == 1 else values


def to_jsonld(
    triples: Iterable[ox.Triple],
    context: JsonLdContext,
    context_url: str,
    first: ox.NamedNode | None = None,
) -> dict[str, Any]:
    """A graph as compact JSON-LD that refers to the published context by URL."""
    return {"@context": context_url, "@graph": _Compactor(context, triples).graph(first)}
