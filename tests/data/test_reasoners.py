"""The ontology and the data under OWL 2 DL reasoners: HermiT and Pellet (both run by owlready2 on
Java) find them consistent, and the OWL API's OWL 2 DL profile checker finds no violation in the
ontology. The README's "OWL 2 DL" paragraph lists what lies outside OWL 2 DL and why; the SPARQL
checks below hold the ontology to it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import owlready2  # pyproject's test extra installs it
import pytest
import rdflib
from helpers import ROOT

ONTOLOGY = ROOT / "ontology" / "dakg.ttl"
DATA = sorted(ROOT.glob("data/ttl/**/*.ttl"))
PROFILE_PROGRAM = ROOT / "tests" / "fixtures" / "owl" / "Profile.java"
OWLAPI_JAR = Path(owlready2.__file__).parent / "pellet" / "owlapi-distribution-3.4.3-bin.jar"
DAKG = "https://w3id.org/dakg/def/"

# OWL 2's datatype map (OWL 2 Structural Specification, section 4), with rdfs:Literal.
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL2_DATATYPE_MAP = {
    RDF + "PlainLiteral",
    RDF + "XMLLiteral",
    "http://www.w3.org/2000/01/rdf-schema#Literal",
    "http://www.w3.org/2002/07/owl#real",
    "http://www.w3.org/2002/07/owl#rational",
    *(
        XSD + name
        for name in (
            "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger "
            "long int short byte unsignedLong unsignedInt unsignedShort unsignedByte double float "
            "string normalizedString token language Name NCName NMTOKEN boolean hexBinary "
            "base64Binary anyURI dateTime dateTimeStamp"
        ).split()
    ),
}
# What the README lists as outside OWL 2's datatype map in the ontology: a milestone's date bounds
# are xsd:date and its month without a year xsd:gMonth (the JSON-LD context types them so); HermiT
# is told to ignore them.
README_OUTSIDE_THE_DATATYPE_MAP = {
    (DAKG + "earliestDate", XSD + "date"),
    (DAKG + "latestDate", XSD + "date"),
    (DAKG + "monthWithoutYear", XSD + "gMonth"),
}


def java() -> str:
    path = shutil.which("java")
    if path is None:
        pytest.fail(
            "no `java` on PATH: the reasoners need a Java runtime (make deps installs "
            "the Makefile's DEBS, openjdk-17-jdk-headless among them)"
        )
    return path


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def everything(tmp_path_factory) -> Path:
    """The ontology and all the data in one N-Triples file, as owlready2 loads it."""
    graph = rdflib.Graph()
    for path in (ONTOLOGY, *DATA):
        graph.parse(path, format="turtle")
    out = tmp_path_factory.mktemp("owl") / "dakg.nt"
    graph.serialize(out, format="nt", encoding="utf-8")
    return out


def reason(source: Path, reasoner: str, extra: str = "") -> owlready2.World:
    """Load a file into a world of its own and run one reasoner on it (raises when inconsistent)."""
    owlready2.JAVA_EXE = java()
    if extra:
        text = source.read_text(encoding="utf-8") + extra
        source = source.with_name(source.stem + "-extra.nt")
        source.write_text(text, encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(source.as_uri()).load(format="ntriples")
    if reasoner == "hermit":
        # xsd:date, xsd:gYearMonth and xsd:gMonth are outside OWL 2's datatype map (README).
        owlready2.sync_reasoner_hermit(
            world, infer_property_values=False, ignore_unsupported_datatypes=True, debug=0
        )
    else:
        owlready2.sync_reasoner_pellet(
            world, infer_property_values=False, infer_data_property_values=False, debug=0
        )
    return world


@pytest.mark.parametrize("reasoner", ["hermit", "pellet"])
def test_the_ontology_and_the_data_are_consistent(everything, reasoner) -> None:
    world = reason(everything, reasoner)
    assert list(world.inconsistent_classes()) == []
    # The reasoner read the data: the classification put the initiatives in their superclass.
    initiative = world[DAKG + "Initiative"]
    assert len(list(initiative.instances())) == 19


# A figure said to be cumulative "yes" (a string where the ontology's range is xsd:boolean),
# and a section whose page number is text where the range is xsd:integer: each makes the whole inconsistent.
BROKEN = {
    "boolean": "<https://w3id.org/dakg/id/observation/x> "
    '<https://w3id.org/dakg/def/cumulative> "yes" .\n',
    "integer": "<https://w3id.org/dakg/id/section/x> "
    '<https://w3id.org/dakg/def/pageNumber> "14 and 15" .\n',
}


@pytest.mark.parametrize("reasoner", ["hermit", "pellet"])
@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_reasoners_find_an_inconsistency_when_there_is_one(everything, reasoner, broken):
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        reason(everything, reasoner, BROKEN[broken])


def owl_api_violations(path: Path, tmp_path: Path) -> list[str]:
    """The OWL API's OWL 2 DL profile violations of an ontology document (RDF/XML)."""
    if not OWLAPI_JAR.is_file():
        pytest.fail(f"{OWLAPI_JAR} is missing: owlready2 ships the OWL API with Pellet")
    xml = tmp_path / (path.stem + ".owl")
    rdflib.Graph().parse(path, format="turtle").serialize(xml, format="xml")
    done = subprocess.run(
        [java(), "-cp", str(OWLAPI_JAR), str(PROFILE_PROGRAM), str(xml)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines and lines[0].startswith("axioms ") and int(lines[0].split()[1]) > 500, lines[:3]
    return [line for line in lines if line.startswith("violation ")]


def test_the_ontology_is_in_owl2_dl_by_the_owl_api_profile_checker(tmp_path) -> None:
    assert owl_api_violations(ONTOLOGY, tmp_path) == []


def test_the_profile_checker_sees_violations(tmp_path) -> None:
    """The checker is not blind: an object property given a datatype range is a violation."""
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        ONTOLOGY.read_text(encoding="utf-8")
        + "\n<https://w3id.org/dakg/def/x> a <http://www.w3.org/2002/07/owl#ObjectProperty> ;"
        " <http://www.w3.org/2000/01/rdf-schema#range>"
        " <http://www.w3.org/2001/XMLSchema#string> .\n",
        encoding="utf-8",
    )
    assert owl_api_violations(broken, tmp_path) != []


PREFIXES = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def test_no_datatype_outside_owl2s_map_but_those_the_readme_lists(ontology) -> None:
    """Ranges and facets use OWL 2's datatype map (rdf:PlainLiteral for language-tagged text,
    not rdf:langString), save those the README lists; the values the ontology writes too (its
    labels and definitions are language-tagged, rdf:PlainLiteral's values in OWL 2)."""
    rows = ontology.query(
        PREFIXES
        + """
        SELECT ?term ?datatype WHERE {
          { ?term rdfs:range ?datatype . ?term a owl:DatatypeProperty }
          UNION { ?term owl:onDatatype ?datatype }
          UNION { ?term ?p ?literal . FILTER (isLiteral(?literal) && lang(?literal) = "")
                  BIND (datatype(?literal) AS ?datatype) }
          FILTER NOT EXISTS { ?datatype a rdfs:Datatype }
        }"""
    )
    outside = {(str(t), str(d)) for t, d in rows if str(d) not in OWL2_DATATYPE_MAP}
    assert outside == README_OUTSIDE_THE_DATATYPE_MAP
    assert not ontology.query(PREFIXES + "ASK { ?p rdfs:range rdf:langString }").askAnswer


def test_every_term_of_another_vocabulary_is_declared_as_it_is_used(ontology) -> None:
    """OWL 2 DL: each class and property is declared, and as one kind only."""
    data = rdflib.Graph()
    for path in DATA:
        data.parse(path, format="turtle")
    whole = ontology + data
    # RDF, RDFS and OWL are built in; xsd: names facets (xsd:pattern) and datatypes.
    builtin = (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/2002/07/owl#",
        XSD,
    )
    kinds = {
        k: set(ontology.subjects(rdflib.RDF.type, rdflib.OWL[k]))
        for k in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")
    }
    faults = []
    for term, objects in _predicates(whole).items():
        if str(term).startswith(builtin):
            continue
        declared = [k for k in kinds if k != "Class" and term in kinds[k]]
        if len(declared) != 1:
            faults.append(f"{term}: declared {declared}")
        elif declared == ["ObjectProperty"] and any(isinstance(o, rdflib.Literal) for o in objects):
            faults.append(f"{term}: an object property with a literal value")
        elif declared == ["DatatypeProperty"] and not all(
            isinstance(o, rdflib.Literal) for o in objects
        ):
            faults.append(f"{term}: a datatype property with a non-literal value")
    used_classes = set(whole.objects(None, rdflib.RDF.type)) | set(
        ontology.objects(None, rdflib.RDFS.subClassOf)
    )
    for cls in used_classes:
        if isinstance(cls, rdflib.URIRef) and not str(cls).startswith(builtin):
            if (
                cls not in kinds["Class"]
                and (cls, rdflib.RDF.type, rdflib.RDFS.Datatype) not in whole
            ):
                faults.append(f"{cls}: a class not declared owl:Class")
    assert faults == []


def _predicates(graph: rdflib.Graph) -> dict:
    found: dict = {}
    for _, p, o in graph:
        found.setdefault(p, []).append(o)
    for _sub, sup in graph.subject_objects(rdflib.RDFS.subPropertyOf):
        found.setdefault(sup, [])
    return found


def test_close_matches_are_annotations_and_keep_the_alignment(ontology) -> None:
    """skos:closeMatch links a dakg class to another vocabulary's without making it an individual."""
    closematch = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#closeMatch")
    assert (closematch, rdflib.RDF.type, rdflib.OWL.AnnotationProperty) in ontology
    pairs = {(str(s)[len(DAKG) :], str(o)) for s, o in ontology.subject_objects(closematch)}
    # docs/design.md's alignment table
    assert ("Agency", "https://schema.org/GovernmentOrganization") in pairs
    assert ("Initiative", "http://imi.go.jp/ns/core/rdf#活動型") in pairs
    assert ("Observation", "http://imi.go.jp/ns/core/rdf#数量型") in pairs
    assert ("Law", "https://schema.org/Legislation") in pairs


def test_the_corporate_number_is_a_datatype_definition(ontology) -> None:
    """OWL 2's mapping of DatatypeDefinition: an equivalent data range restricting xsd:string."""
    assert ontology.query(
        PREFIXES
        + """
        ASK {
          <https://w3id.org/dakg/def/CorporateNumber> a rdfs:Datatype ;
            owl:equivalentClass ?range .
          ?range a rdfs:Datatype ; owl:onDatatype xsd:string ; owl:withRestrictions ?list .
          ?list rdf:first ?facet ; rdf:rest rdf:nil .
          ?facet xsd:pattern "[1-9][0-9]{12}" .
          FILTER NOT EXISTS { <https://w3id.org/dakg/def/CorporateNumber> owl:onDatatype ?any }
        }"""
    ).askAnswer
