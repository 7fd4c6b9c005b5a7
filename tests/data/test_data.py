"""The data itself: it parses, uses only defined terms, cites its sources and matches the report's words."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import rdflib
from dakg.rdf.namespaces import DEF, ID
from dakg.rdf.sources import graph_sources
from helpers import ROOT
from rdflib.namespace import OWL, RDF, RDFS

DAKG = rdflib.Namespace(DEF)
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
SOURCES = graph_sources(ROOT)


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for source in SOURCES:
        g.parse(source.path, format="turtle")
    return g


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "dakg.ttl")


def squash(text: str) -> str:
    """Text with white space and Markdown emphasis removed, to compare wording with the report."""
    return re.sub(r"[\s*]+", "", text)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: str(s.path.relative_to(ROOT)))
def test_every_file_parses_and_is_not_empty(source) -> None:
    g = rdflib.Graph().parse(source.path, format="turtle")
    assert len(g) > 0


def test_every_term_of_our_namespace_is_defined(graph, ontology) -> None:
    defined = {s for s in ontology.subjects() if isinstance(s, rdflib.URIRef)}
    used = set()
    for s, p, o in graph:
        if p == OWL.versionIRI:
            continue  # the version IRI names a release of the ontology, not a term
        for term in (s, p, o):
            if isinstance(term, rdflib.URIRef) and str(term).startswith(DEF):
                used.add(term)
    missing = sorted(str(t) for t in used - defined)
    assert missing == []


def test_every_referenced_entity_exists(graph) -> None:
    """An IRI of ours used as an object is described somewhere (has a type)."""
    typed = set(graph.subjects(RDF.type, None))
    dangling = sorted(
        {
            f"{s} {p} {o}"
            for s, p, o in graph
            if isinstance(o, rdflib.URIRef) and str(o).startswith(ID) and o not in typed
        }
    )
    assert dangling == []


@pytest.mark.parametrize("cls", ["Initiative", "Milestone", "Observation", "Event"])
def test_every_fact_names_its_report_section(graph, cls) -> None:
    sections = set(graph.subjects(RDF.type, DAKG.Section))
    unsourced = [
        str(s)
        for s in graph.subjects(RDF.type, DAKG[cls])
        if not any(src in sections for src in graph.objects(s, DCTERMS.source))
    ]
    assert unsourced == []


def test_all_19_initiatives_and_3_pillars_with_ja_and_en_labels(graph, report_text) -> None:
    initiatives = sorted(
        graph.subjects(RDF.type, DAKG.Initiative), key=lambda s: int(graph.value(s, DAKG.number))
    )
    assert [int(graph.value(s, DAKG.number)) for s in initiatives] == list(range(1, 20))
    pillars = list(graph.subjects(RDF.type, DAKG.Pillar))
    assert len(pillars) == 3
    for entity in initiatives + pillars:
        langs = sorted(label.language for label in graph.objects(entity, RDFS.label))
        assert langs == ["en", "ja"], entity
        ja = next(lbl for lbl in graph.objects(entity, RDFS.label) if lbl.language == "ja")
        assert str(ja) in report_text, f"{entity}: {ja} is not the report's title"
    for initiative in initiatives:
        assert graph.value(initiative, DAKG.pillar) in pillars


def test_initiatives_are_numbered_as_the_report_lists_them(graph, report_text) -> None:
    """The contents list of chapter 3 ('- 1 マイナンバーカードの普及' ...) gives each number and title."""
    listed = dict(re.findall(r"^- (\d+) (\S+)$", report_text, re.M))
    for initiative in graph.subjects(RDF.type, DAKG.Initiative):
        ja = next(lbl for lbl in graph.objects(initiative, RDFS.label) if lbl.language == "ja")
        assert listed[str(graph.value(initiative, DAKG.number))] == str(ja)


VERBATIM = ["wording", "tagline", "aim", "resultsHeadline", "resultsSummary", "background", "note"]


def test_the_reports_words_are_kept_verbatim(graph, report_text) -> None:
    text = squash(report_text)
    changed = []
    for name in VERBATIM:
        for s, literal in graph.subject_objects(DAKG[name]):
            if literal.language == "ja" and squash(str(literal)) not in text:
                changed.append(f"{s} dakg:{name} {str(literal)[:60]!r}")
    assert changed == []


UNITS = {"万": Decimal(10_000), "億": Decimal(100_000_000)}


def numbers_in(wording: str) -> set[Decimal]:
    """Every number the wording states, normalised (1億2,665万 → 126650000, 9割 → 90)."""
    text = squash(wording)
    found: set[Decimal] = set()
    for match in re.finditer(r"(?:(\d[\d,]*(?:\.\d+)?)億)?(\d[\d,]*(?:\.\d+)?)(万|割)?", text):
        oku, num, unit = match.groups()
        value = Decimal(num.replace(",", ""))
        if unit == "万":
            value *= UNITS["万"]
        if unit == "割":
            value *= 10
        if oku:
            value += Decimal(oku.replace(",", "")) * UNITS["億"]
        found.add(value)
        found.add(Decimal(num.replace(",", "")))
    return found


def test_every_figure_value_is_the_number_of_its_wording(graph) -> None:
    wrong = []
    for observation in graph.subjects(RDF.type, DAKG.Observation):
        value = graph.value(observation, DAKG.value)
        wording = graph.value(observation, DAKG.wording)
        assert value is not None and wording is not None, observation
        if Decimal(str(value.toPython())) not in numbers_in(str(wording)):
            wrong.append(f"{observation}: {value} not in {wording!s}")
    assert wrong == []


def test_numbers_are_read_as_the_report_writes_them() -> None:
    assert Decimal(126650000) in numbers_in("人口約1億2,665万人")
    assert Decimal(10590000) in numbers_in("+ 1,059 万人")
    assert Decimal(90) in numbers_in("内定受諾率9割以上")
    assert Decimal(10590000) not in numbers_in("1,833 万件")


def test_a_milestones_reference_period_is_named_in_its_wording(graph) -> None:
    wrong = []
    for milestone in graph.subjects(RDF.type, DAKG.Milestone):
        wording = str(graph.value(milestone, DAKG.wording))
        period = graph.value(milestone, DAKG.referencePeriod)
        if period is None:
            continue
        key = str(period).rsplit("/", 2)
        kind, value = key[-2], key[-1]
        if kind == "fiscal-year":
            expected = f"{value}年度"
        elif kind == "year":
            expected = f"{value}年"
        else:
            year, month = value.split("-")
            expected = f"{int(year)}年{int(month)}月"
        if expected not in wording:
            wrong.append(f"{milestone}: {expected} not in {wording}")
    assert wrong == []


def test_the_digital_agency_has_its_corporate_number(graph) -> None:
    agency = rdflib.URIRef(ID + "agency/digital-agency")
    adms = rdflib.Namespace("http://www.w3.org/ns/adms#")
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    notations = {str(graph.value(i, skos.notation)) for i in graph.objects(agency, adms.identifier)}
    assert notations == {"8000012010038"}


def test_the_report_has_its_dates_and_pages(graph) -> None:
    report = rdflib.URIRef(ID + "document/activity-report-2021-2022")
    assert str(graph.value(report, DCTERMS.issued)) == "2022-09-01"
    assert str(graph.value(report, DCTERMS.modified)) == "2022-11-15"
    assert int(graph.value(report, DAKG.editionNumber)) == 4
    pages = {
        str(label): int(page)
        for section, page in graph.subject_objects(DAKG.pageNumber)
        for label in graph.objects(section, RDFS.label)
        if label.language == "ja"
    }
    assert pages["設立1年の総括"] == 3
    assert pages["成果と進捗"] == 12
    assert pages["安全安心で強靱なデジタル基盤の実現"] == 32
    assert pages["付録"] == 44


def test_the_ontology_carries_the_one_version_of_the_project(ontology) -> None:
    from dakg import __version__

    header = rdflib.URIRef(DEF)
    assert str(ontology.value(header, OWL.versionInfo)) == __version__
    assert str(ontology.value(header, OWL.versionIRI)) == f"{DEF}{__version__}"


def test_every_term_has_one_label_per_language_and_a_definition(ontology) -> None:
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    faults = []
    for term in set(ontology.subjects()):
        if not (isinstance(term, rdflib.URIRef) and str(term).startswith(DEF) and str(term) != DEF):
            continue
        labels = sorted(lbl.language for lbl in ontology.objects(term, RDFS.label))
        definitions = sorted(d.language for d in ontology.objects(term, skos.definition))
        if labels != ["en", "ja"] or definitions != ["en", "ja"]:
            faults.append(f"{term}: labels {labels}, definitions {definitions}")
    assert faults == []


def owl_syntax_nodes(graph: rdflib.Graph) -> set:
    """The blank nodes OWL 2's mapping to RDF requires: a datatype definition's data range, and its
    restriction's list and facets."""
    nodes = set(graph.subjects(OWL.onDatatype, None))
    for head in graph.objects(None, OWL.withRestrictions):
        for cell in graph.transitiveClosure(lambda n, g: g.objects(n, RDF.rest), head):
            nodes.add(cell)
        nodes.add(head)
    nodes |= {member for cell in set(nodes) for member in graph.objects(cell, RDF.first)}
    return nodes


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: str(s.path.relative_to(ROOT)))
def test_no_blank_node_in_the_data_or_the_ontology(source) -> None:
    """Everything we publish has an IRI others can link to (a time instant, an identifier ...);
    only OWL's own syntax for a datatype restriction (a list of facets) is left to blank nodes."""
    g = rdflib.Graph().parse(source.path, format="turtle")
    allowed = owl_syntax_nodes(g) if source.path.parts[-2] == "ontology" else set()
    blank = {t for triple in g for t in triple if isinstance(t, rdflib.BNode)} - allowed
    assert sorted(f"{s} {p} {o}" for s, p, o in g if s in blank or o in blank) == []


def test_time_instants_are_shared_and_keyed_by_their_date(graph) -> None:
    time = rdflib.Namespace("http://www.w3.org/2006/time#")
    instants = set(graph.subjects(RDF.type, time.Instant))
    assert len(instants) >= 59
    wrong = []
    for instant in instants:
        dates = [
            str(d)
            for p in (time.inXSDDate, time.inXSDgYearMonth)
            for d in graph.objects(instant, p)
        ]
        if [str(instant)] != [f"{ID}instant/{d}" for d in dates]:
            wrong.append(f"{instant}: {dates}")
    assert wrong == []
    for interval in graph.subjects(time.hasBeginning, None):
        assert graph.value(interval, time.hasBeginning) in instants


ADMS = rdflib.Namespace("http://www.w3.org/ns/adms#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")


def test_every_identifier_names_where_it_comes_from(graph) -> None:
    """An official identifier is not in the report: each one names its sources (pages, as IRIs) or
    the identifier it is derived from by an official rule."""
    faults = []
    for identifier in graph.subjects(RDF.type, ADMS.Identifier):
        sources = list(graph.objects(identifier, DCTERMS.source))
        derived = list(graph.objects(identifier, PROV.wasDerivedFrom))
        if not str(identifier).startswith(ID + "identifier/"):
            faults.append(f"{identifier}: not an identifier IRI")
        if graph.value(identifier, SKOS.notation) is None:
            faults.append(f"{identifier}: no notation")
        if not all(isinstance(s, rdflib.URIRef) for s in sources + derived):
            faults.append(f"{identifier}: a source that is not an IRI")
        if len(sources) < 2 and not derived:
            faults.append(f"{identifier}: {len(sources)} source(s), no rule")
    assert faults == []


def test_corporate_numbers_only_where_two_sources_agree(graph) -> None:
    numbers = {
        str(agency).rsplit("/", 1)[1]: str(graph.value(i, SKOS.notation))
        for agency, i in graph.subject_objects(ADMS.identifier)
        if str(agency).startswith(ID + "agency/")
    }
    assert numbers == {
        "digital-agency": "8000012010038",
        "mext": "7000012060001",
        "mhlw": "6000012070001",
        "national-personnel-authority": "2000012010002",
    }


KANJI_ERA = {"令和": 5, "平成": 4}


def test_an_e_gov_law_id_follows_from_its_law_number(graph) -> None:
    """e-Gov's rule: era and year (504 = 令和4), AC for an Act, 0 for a Cabinet bill, the number in
    nine digits."""
    eli = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
    laws = list(graph.subjects(eli.id_local, None))
    assert laws
    for law in laws:
        number = str(graph.value(law, DAKG.lawNumber))
        era, year, act = re.fullmatch(r"(令和|平成)(\d+)年法律第(\d+)号", number).groups()
        expected = f"{KANJI_ERA[era]}{int(year):02d}AC0{int(act):09d}"
        assert str(graph.value(law, eli.id_local)) == expected
        ids = {str(graph.value(i, SKOS.notation)) for i in graph.objects(law, ADMS.identifier)}
        assert {expected, number} <= ids


INVERSES = [
    # (the item's class, its link to the other, the other's link back)
    ("Milestone", "initiative", "hasMilestone"),
    ("Observation", "initiative", "hasObservation"),
    ("Reference", "initiative", "hasReference"),
    ("Event", "initiative", "hasEvent"),
    ("Figure", "initiative", "hasFigure"),
    ("Initiative", "pillar", "hasInitiative"),
    ("Initiative", "system", "systemOf"),
    ("Indicator", "measures", "measuredBy"),
    ("Reference", "describes", "describedBy"),
]


@pytest.mark.parametrize(("cls", "forward", "back"), INVERSES)
def test_links_are_stated_both_ways(graph, ontology, cls, forward, back) -> None:
    """A reader follows a link from either end: each link has its inverse stated in the data, and
    the ontology declares the pair (owl:inverseOf, or a sub-property of the inverse)."""
    forward, back = DAKG[forward], DAKG[back]
    declared = {(forward, back), (back, forward)}
    inverse = set(ontology.objects(back, OWL.inverseOf)) | set(
        ontology.subjects(OWL.inverseOf, back)
    )
    supers = set(ontology.objects(back, RDFS.subPropertyOf))
    assert forward in inverse or any((s, OWL.inverseOf, forward) in ontology for s in supers), (
        declared
    )
    members = set(graph.transitive_subjects(RDFS.subClassOf, DAKG[cls]))
    items = {s for c in members for s in graph.subjects(RDF.type, c)}
    there = {(s, o) for s, o in graph.subject_objects(forward) if s in items}
    back_again = {(o, s) for s, o in graph.subject_objects(back) if o in items}
    assert there, f"no {cls} uses {forward}"
    assert sorted(there ^ back_again) == []


def test_an_initiatives_indicators_are_those_of_its_figures(graph) -> None:
    stated = set(graph.subject_objects(DAKG.hasIndicator))
    implied = {
        (i, ind)
        for i, obs in graph.subject_objects(DAKG.hasObservation)
        for ind in graph.objects(obs, DAKG.indicator)
    }
    assert stated and stated == implied


def test_the_digital_agency_is_no_party_the_report_does_not_name(graph) -> None:
    agency = rdflib.URIRef(ID + "agency/digital-agency")
    assert list(graph.subjects(DAKG.party, agency)) == []
    uk = rdflib.URIRef(ID + "agreement/japan-uk-digital-group")
    assert (uk, OWL.deprecated, rdflib.Literal(True)) in graph
    assert list(graph.objects(uk, DAKG.party)) == []
    launch = graph.value(uk, DCTERMS.isReplacedBy)
    assert (launch, RDF.type, DAKG.Event) in graph
    assert str(graph.value(launch, DAKG.wording)) == "日英デジタルグループ立ち上げ"


def test_agencies_only_in_planned_items_are_no_partners(graph) -> None:
    """Initiative 18's agencies appear only as subjects of its planned items: linked there."""
    initiative = rdflib.URIRef(ID + "initiative/government-solution-service")
    assert list(graph.objects(initiative, DAKG.partnerAgency)) == []
    on_milestones = {
        a
        for m in graph.subjects(DAKG.initiative, initiative)
        for a in graph.objects(m, DAKG.agency)
    }
    assert {str(a).rsplit("/", 1)[1] for a in on_milestones} == {
        "maff",
        "national-personnel-authority",
        "personal-information-protection-commission",
    }


def test_a_roadmap_year_is_no_publication_date(graph) -> None:
    """Standards the roadmap places under a year (wording 「2021年 ...」) carry no dcterms:issued."""
    placed = [
        s
        for s, w in graph.subject_objects(DAKG.wording)
        if (s, RDF.type, DAKG.Standard) in graph and re.match(r"20\d\d年 ", str(w))
    ]
    assert len(placed) == 4
    assert [s for s in placed if (s, DCTERMS.issued, None) in graph] == []


def test_the_report_keeps_its_precision(graph) -> None:
    time = rdflib.Namespace("http://www.w3.org/2006/time#")
    xsd = rdflib.XSD
    period = rdflib.URIRef(ID + "period/2021-09-to-2022-08")
    begin = graph.value(graph.value(period, time.hasBeginning), time.inXSDgYearMonth)
    end = graph.value(graph.value(period, time.hasEnd), time.inXSDgYearMonth)
    assert (str(begin), begin.datatype, str(end), end.datatype) == (
        "2021-09",
        xsd.gYearMonth,
        "2022-08",
        xsd.gYearMonth,
    )
    months = {
        str(graph.value(m, DAKG.wording)): graph.value(m, DAKG.monthWithoutYear)
        for m in graph.subjects(DAKG.monthWithoutYear, None)
    }
    assert months == {
        "人事院は8月下旬より運用開始": rdflib.Literal("--08", datatype=xsd.gMonth),
        "個人情報保護委員会、農林水産省は10月より統合を開始": rdflib.Literal(
            "--10", datatype=xsd.gMonth
        ),
    }
    for m in graph.subjects(DAKG.monthWithoutYear, None):
        assert (m, DAKG.earliestDate, None) not in graph and (m, DAKG.latestDate, None) not in graph


def test_the_bill_is_named_with_the_acts_official_english_title(graph) -> None:
    law = rdflib.URIRef(ID + "law/cashless-payment-act")
    title = next(str(lbl) for lbl in graph.objects(law, RDFS.label) if lbl.language == "en")
    assert title.startswith("Act on Making Payments That Become Part of the National Revenue")
    for key in (
        "reference-cashless-payment-bill",
        "reference-cashless-payment-bill-submitted-to-208th-diet",
    ):
        bill = rdflib.URIRef(ID + "document/" + key)
        english = [str(lbl) for lbl in graph.objects(bill, RDFS.label) if lbl.language == "en"]
        assert len(english) == 1 and title in english[0]


@pytest.mark.parametrize(
    ("entity", "english", "page"),
    [
        (
            "standard/gif",
            "Government Interoperability Framework",
            "https://digital.go.jp/policies/data_strategy_government_interoperability_framework",
        ),
        (
            "programme/ismap",
            "Information system Security Management and Assessment Program",
            "https://www.ismap.go.jp/csm?id=kb_article_view&sysparm_article=KB0010301",
        ),
    ],
)
def test_an_official_english_name_names_the_government_page_it_comes_from(
    graph, entity, english, page
) -> None:
    """An English name the report does not give, taken from an official page, links that page
    (rdfs:seeAlso) and says in both languages where the name comes from."""
    node = rdflib.URIRef(ID + entity)
    assert [str(o) for o in graph.objects(node, RDFS.label) if o.language == "en"] == [english]
    assert rdflib.URIRef(page) in set(graph.objects(node, RDFS.seeAlso))
    comments = [c for c in graph.objects(node, RDFS.comment) if "English label" in str(c)]
    assert len(comments) == 1 and re.search(r"Digital Agency|\.go\.jp", str(comments[0]))
    assert {c.language for c in graph.objects(node, RDFS.comment)} == {"en", "ja"}
