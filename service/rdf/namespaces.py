"""The namespaces of the graph and the canonical prefixes every Turtle file uses."""

DEF = "https://w3id.org/dakg/def/"
ID = "https://w3id.org/dakg/id/"
GRAPH = "https://w3id.org/dakg/graph/"
PUBLIC_BASE = "https://w3id.org/dakg/"

# Instance types of the IRI contract: https://w3id.org/dakg/id/{type}/{key}
ID_TYPES = (
    "agency",
    "agreement",
    "country",
    "date-qualifier",
    "document",
    "event",
    "fiscal-year",
    "identifier",
    "indicator",
    "initiative",
    "instant",
    "international-organisation",
    "law",
    "milestone",
    "month",
    "observation",
    "observation-kind",
    "period",
    "pillar",
    "principle",
    "programme",
    "scheme",
    "section",
    "standard",
    "system",
    "unit",
    "org-unit",
    "org-programme",
    "value-qualifier",
    "year",
)

VOCABULARY_PREFIXES = {
    "dakg": DEF,
    "adms": "http://www.w3.org/ns/adms#",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "ic": "http://imi.go.jp/ns/core/rdf#",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "qb": "http://purl.org/linked-data/cube#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def canonical_prefixes() -> dict[str, str]:
    """Vocabulary prefixes plus one prefix per instance type (`initiative:` for .../id/initiative/)."""
    prefixes = dict(VOCABULARY_PREFIXES)
    prefixes["id"] = ID
    for kind in ID_TYPES:
        prefixes[kind.replace("-", "")] = f"{ID}{kind}/"
    return prefixes


XSD = "http://www.w3.org/2001/XMLSchema#"
# The XSD datatypes whose values are numbers (as JSON numbers in the API, formatted on the pages).
NUMERIC_DATATYPES = frozenset(
    XSD + t
    for t in (
        "integer",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "positiveInteger",
        "nonNegativeInteger",
    )
)
