"""The figures as a W3C Data Cube: every observation in one qb:DataSet with its structure, and
none of the recommendation's integrity constraints (section 11.1, IC-1 to IC-21, one ASK query
each in tests/fixtures/datacube/) holds a violation once the graph is normalized (section 10.2)
with the ontology's class hierarchy."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "datacube"
SOURCES = [ROOT / "ontology" / "dakg.ttl", *sorted(ROOT.glob("data/ttl/**/*.ttl"))]
CONSTRAINTS = sorted(FIXTURES.glob("ic-*.rq"))
ID = "https://w3id.org/dakg/id/"
QB = "http://purl.org/linked-data/cube#"

SUBCLASS_CLOSURE = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT { ?x a ?super } WHERE { ?x a ?class . ?class rdfs:subClassOf+ ?super }
"""


def cube(extra: str = "") -> ox.Store:
    """The ontology and the data (plus extra Turtle), normalized as Data Cube's checks expect."""
    store = ox.Store()
    for path in SOURCES:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    if extra:
        store.load(extra.encode(), format=ox.RdfFormat.TURTLE)
    store.update(SUBCLASS_CLOSURE)
    store.update((FIXTURES / "normalize.ru").read_text(encoding="utf-8"))
    return store


def violated(store: ox.Store, path: Path) -> bool:
    """Whether the constraint's ASK query finds a violation (IC-20 and IC-21 are templates on $p:
    run once for each qb:parentChildProperty, or its inverse, of a qb:HierarchicalCodeList)."""
    text = path.read_text(encoding="utf-8")
    if "$p" not in text:
        return bool(store.query(text))
    inverse = path.stem == "ic-21"
    pattern = (
        "?l a qb:HierarchicalCodeList ; qb:parentChildProperty [ owl:inverseOf ?p ] ."
        if inverse
        else "?l a qb:HierarchicalCodeList ; qb:parentChildProperty ?p . FILTER isIRI(?p)"
    )
    prefixes = f"PREFIX qb: <{QB}> PREFIX owl: <http://www.w3.org/2002/07/owl#> "
    found = [
        row["p"].value for row in store.query(prefixes + f"SELECT DISTINCT ?p {{ {pattern} }}")
    ]
    # With no hierarchy the template must still be a query: instantiate it on skos:narrower.
    return any(
        bool(store.query(text.replace("$p", p)))
        for p in found or ["http://www.w3.org/2004/02/skos/core#narrower"]
    ) and bool(found)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return cube()


def test_the_constraints_are_the_recommendations_21() -> None:
    numbers = []
    for path in CONSTRAINTS:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.match(r"# IC-(\d+)\. \S", first)
        assert match, f"{path.name}: the first line names the constraint ({first!r})"
        numbers.append(int(match[1]))
        assert bool(re.search(r"\bASK\b", path.read_text(encoding="utf-8"))), path.name
    assert sorted(set(numbers)) == list(range(1, 22))


@pytest.mark.parametrize("path", CONSTRAINTS, ids=lambda p: p.stem)
def test_no_integrity_constraint_is_violated(store, path) -> None:
    assert not violated(store, path)


def test_every_observation_is_in_one_data_set_with_a_structure(store) -> None:
    rows = list(
        store.query(f"""
        PREFIX qb: <{QB}> PREFIX dakg: <https://w3id.org/dakg/def/>
        SELECT ?set (COUNT(?obs) AS ?n) WHERE {{ ?obs a dakg:Observation ; qb:dataSet ?set .
          ?set a qb:DataSet ; qb:structure ?dsd . ?dsd a qb:DataStructureDefinition }}
        GROUP BY ?set""")
    )
    counts = {row["set"].value[len(ID + "dataset/") :]: int(row["n"].value) for row in rows}
    assert counts == {"figures": 45, "running-totals": 4, "starting-values": 1, "targets": 5}


# Each breaks one constraint: the checks are not blind.
OBSERVATION = "https://w3id.org/dakg/id/observation/"
BROKEN = {
    "ic-01": f"<{OBSERVATION}x> a <https://w3id.org/dakg/def/Observation> .",
    "ic-11": f"""<{OBSERVATION}x> <{QB}dataSet> <{ID}dataset/figures> ;
        <https://w3id.org/dakg/def/value> 1 .""",
    # a second copy of the 1,040万 certificates: the same indicator, kind and unit
    "ic-12": f"""<{OBSERVATION}x> <{QB}dataSet> <{ID}dataset/running-totals> ;
        <https://w3id.org/dakg/def/indicator> <{ID}indicator/vaccination-certificates-issued> ;
        <https://w3id.org/dakg/def/observationKind> <{ID}observation-kind/actual> ;
        <https://w3id.org/dakg/def/unit> <{ID}unit/case> ;
        <https://w3id.org/dakg/def/value> 10400000 .""",
    "ic-14": f"""<{OBSERVATION}x> <{QB}dataSet> <{ID}dataset/figures> ;
        <https://w3id.org/dakg/def/indicator> <{ID}indicator/population> ;
        <https://w3id.org/dakg/def/observationKind> <{ID}observation-kind/estimate> ;
        <https://w3id.org/dakg/def/unit> <{ID}unit/case> .""",
    "ic-19a": f"""<{OBSERVATION}x> <{QB}dataSet> <{ID}dataset/figures> ;
        <https://w3id.org/dakg/def/indicator> <{ID}indicator/population> ;
        <https://w3id.org/dakg/def/observationKind> <{ID}observation-kind/estimate> ;
        <https://w3id.org/dakg/def/unit> <{ID}observation-kind/actual> ;
        <https://w3id.org/dakg/def/value> 1 .""",
}


@pytest.mark.parametrize("constraint", sorted(BROKEN))
def test_a_broken_cube_breaks_its_constraint(constraint) -> None:
    assert violated(cube(BROKEN[constraint]), FIXTURES / f"{constraint}.rq")
