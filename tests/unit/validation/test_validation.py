"""The shapes and checks of `dakg validate`: each catch fails its invalid fixture, for the right shape."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
import rdflib
from dakg.validation.engine import batchable, select_for_each, shape_targets, solutions, validate
from dakg.validation.focus import changed_focus
from dakg.validation.model import Check, Inputs, Outcome
from dakg.validation.rdfio import load_store, parse_files, to_rdflib
from dakg.validation.reports import short
from dakg.validation.shapes import Shapes, prefixes_for
from helpers import ROOT
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, SH

FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
CONTEXT = FIXTURES / "context.ttl"
DAKG = "https://w3id.org/dakg/def/"
SHAPES_NS = "https://w3id.org/dakg/shapes/"
VALID = sorted((FIXTURES / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))

# What the issue requires the shapes to catch, as (source, component) pairs of the invalid fixtures.
REQUIRED_CATCHES = {
    "label missing": ("shapes:AgencyShape-label", "sh:MinCountConstraintComponent"),
    "label duplicated": ("shapes:AgencyShape-label", "sh:UniqueLangConstraintComponent"),
    "IRI pattern": ("shapes:InitiativeShape", "sh:PatternConstraintComponent"),
    "IRI of another type": ("shapes:AgencyShape", "sh:PatternConstraintComponent"),
    "fiscal year key": ("shapes:FiscalYearShape", "sh:PatternConstraintComponent"),
    "milestone pointing to an agency": (
        "shapes:MilestoneShape-initiative",
        "sh:ClassConstraintComponent",
    ),
    "pillar that is not a pillar": ("shapes:InitiativeShape-pillar", "sh:ClassConstraintComponent"),
    "entity that does not exist": (
        "checks:dangling-reference-violation",
        "sh:SPARQLConstraintComponent",
    ),
    "date as a plain string": (
        "shapes:MilestoneShape-latest-date",
        "sh:DatatypeConstraintComponent",
    ),
    "count as a decimal": ("shapes:ObservationShape-values", "sh:SPARQLConstraintComponent"),
    "value as a string": ("shapes:ObservationShape-value", "sh:OrConstraintComponent"),
    "end before beginning": (
        "shapes:MilestoneShape-date-order",
        "sh:LessThanOrEqualsConstraintComponent",
    ),
    "date outside 1990-2100": (
        "shapes:MilestoneShape-latest-date-range",
        "sh:MaxInclusiveConstraintComponent",
    ),
    "milestone dates": ("shapes:MilestoneShape-dates", "sh:SPARQLConstraintComponent"),
    "observation without unit": ("shapes:ObservationShape-unit", "sh:MinCountConstraintComponent"),
    "observation without indicator": (
        "shapes:ObservationShape-indicator",
        "sh:MinCountConstraintComponent",
    ),
    "observation without kind": ("shapes:ObservationShape-kind", "sh:MinCountConstraintComponent"),
    "observation without source": (
        "shapes:ObservationShape-source",
        "sh:MinCountConstraintComponent",
    ),
    "corporate number check digit": ("shapes:CorporateNumberShape", "sh:SPARQLConstraintComponent"),
    "closed initiative": ("shapes:InitiativeShape-closed", "sh:ClosedConstraintComponent"),
    "closed milestone": ("shapes:MilestoneShape-closed", "sh:ClosedConstraintComponent"),
    "closed observation": ("shapes:ObservationShape-closed", "sh:ClosedConstraintComponent"),
    "deprecated term": ("shapes:DeprecatedTermShape", "sh:SPARQLConstraintComponent"),
    "initiative with no milestone": (
        "shapes:InitiativeShape-milestones",
        "sh:QualifiedMinCountConstraintComponent",
    ),
    "figure with no as-of date": ("shapes:ObservationShape-when", "sh:SPARQLConstraintComponent"),
}


@dataclass(frozen=True)
class Expect:
    """One `# expect:` line of an invalid fixture."""

    severity: str
    source: str
    component: str
    focus: str
    constraint: str = ""


def expectations(path: Path) -> list[Expect]:
    found = re.findall(r"^# expect: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return [Expect(*line.split()) for line in found]


def focus_iri(path: Path, name: str) -> URIRef:
    """Expand a fixture's prefixed name with the fixture's own PREFIX lines."""
    if name.startswith("<"):
        return URIRef(name[1:-1])
    prefixes = dict(
        re.findall(r"^PREFIX (\w*): <([^>]*)>", path.read_text(encoding="utf-8"), re.MULTILINE)
    )
    prefix, local = name.split(":", 1)
    return URIRef(prefixes[prefix] + local)


def found(outcome: Outcome, path: Path) -> list[tuple[str, str, str, str, str]]:
    """The results whose focus node a fixture defines, as short names."""
    return [
        (
            short(r.severity)[3:],
            short(r.source),
            short(r.component),
            str(r.focus),
            short(r.constraint),
        )
        for r in outcome.results
        if (where := outcome.location(r)) is not None and where.path == path
    ]


def inputs_for(*data: Path) -> Inputs:
    return Inputs(
        data=(CONTEXT, *data),
        ontology=tuple(sorted((ROOT / "ontology").glob("*.ttl"))),
        shapes=tuple(sorted((ROOT / "shapes").glob("*.ttl"))),
        checks=tuple(sorted((ROOT / "queries" / "checks").glob("*-violation.rq"))),
    )


META_SHACL = """
import sys, pyshacl, rdflib
shapes = rdflib.Graph()
for path in sys.argv[1:]:
    shapes.parse(path, format="turtle")
data = rdflib.Graph().parse(data="<urn:x> a <urn:y> .", format="turtle")
try:
    pyshacl.validate(data, shacl_graph=shapes, meta_shacl=True, inference="none")
except pyshacl.errors.ReportableRuntimeError as error:
    print(error.message)
    sys.exit(1)
"""


@pytest.fixture(scope="module", autouse=True)
def meta_shacl_run() -> Iterator[subprocess.Popen]:
    """pySHACL's meta-SHACL check of the shapes takes seconds: start it first, in another process."""
    files = [str(p) for p in sorted((ROOT / "shapes").glob("*.ttl"))]
    command = [sys.executable, "-W", "ignore", "-c", META_SHACL, *files]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    yield process
    process.kill()
    process.communicate()


@pytest.fixture(scope="session")
def shapes() -> Shapes:
    return Shapes.load(sorted((ROOT / "shapes").glob("*.ttl")))


@pytest.fixture(scope="session")
def shapes_graph() -> rdflib.Graph:
    """The shapes files as written (SPARQL constraints attached)."""
    return to_rdflib(parse_files(sorted((ROOT / "shapes").glob("*.ttl"))))


@pytest.fixture(scope="session")
def ontology() -> rdflib.Graph:
    return to_rdflib(parse_files(sorted((ROOT / "ontology").glob("*.ttl"))))


@pytest.fixture(scope="session")
def valid_outcome(shapes: Shapes) -> Outcome:
    """All valid fixtures, validated together with the context."""
    return validate(inputs_for(*VALID), shapes=shapes)


@pytest.fixture(scope="session")
def invalid_outcome(shapes: Shapes) -> Outcome:
    """All invalid fixtures, validated together with the context (their focus nodes are distinct)."""
    return validate(inputs_for(*INVALID), shapes=shapes)


# ---------------------------------------------------------------- the shapes themselves


def test_every_ontology_class_has_a_node_shape(
    shapes_graph: rdflib.Graph, ontology: rdflib.Graph
) -> None:
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(DAKG)}
    targeted = {
        c
        for s in shapes_graph.subjects(RDF.type, SH.NodeShape)
        for c in shapes_graph.objects(s, SH.targetClass)
    }
    assert len(classes) >= 30
    assert sorted(classes - targeted) == []


def test_every_shape_has_an_iri_a_severity_and_messages_in_ja_and_en(
    shapes_graph: rdflib.Graph,
) -> None:
    shapes = {
        s
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes_graph.subjects(RDF.type, kind)
    }
    assert len(shapes) > 100
    problems = []
    for shape in sorted(shapes, key=str):
        if not str(shape).startswith(SHAPES_NS):
            problems.append(f"{shape}: not an IRI in {SHAPES_NS}")
        if shapes_graph.value(shape, SH.severity) is None:
            problems.append(f"{shape}: no sh:severity")
        holders = list(shapes_graph.objects(shape, SH.sparql)) or [shape]
        for holder in holders:
            languages = sorted(
                m.language
                for m in shapes_graph.objects(holder, SH.message)
                if isinstance(m, Literal)
            )
            if languages != ["en", "ja"]:
                problems.append(f"{holder}: sh:message languages {languages}")
    assert problems == []


def test_main_classes_are_closed(shapes_graph: rdflib.Graph) -> None:
    closed = {
        shapes_graph.value(s, SH.targetClass)
        for s in shapes_graph.subjects(SH.closed, Literal(True))
    }
    assert {URIRef(DAKG + c) for c in ("Initiative", "Milestone", "Observation")} <= closed


def test_deprecated_terms_are_warnings_not_violations(shapes_graph: rdflib.Graph) -> None:
    assert shapes_graph.value(URIRef(SHAPES_NS + "DeprecatedTermShape"), SH.severity) == SH.Warning


# ---------------------------------------------------------------- fixtures


def test_the_context_conforms_on_its_own(shapes: Shapes) -> None:
    assert validate(inputs_for(), shapes=shapes).results == []


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_has_no_results(valid_outcome: Outcome, path: Path) -> None:
    assert found(valid_outcome, path) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_fails_for_its_shape(invalid_outcome: Outcome, path: Path) -> None:
    expects = expectations(path)
    assert expects, f"{path.name} has no # expect: line"
    results = found(invalid_outcome, path)
    for expect in expects:
        focus = str(focus_iri(path, expect.focus))
        matching = [
            r
            for r in results
            if r[:4] == (expect.severity, expect.source, expect.component, focus)
            and (not expect.constraint or r[4] == expect.constraint)
        ]
        assert matching, f"{path.name}: expected {expect}, got {results}"


@pytest.mark.parametrize("path", INVALID[:: max(1, len(INVALID) // 6)], ids=lambda p: p.stem)
def test_invalid_fixture_fails_on_its_own(shapes: Shapes, path: Path) -> None:
    """Validated alone (with the context), an invalid fixture fails just as it does with the others."""
    expect = expectations(path)[0]
    outcome = validate(inputs_for(path), shapes=shapes)
    assert (expect.source, expect.component) in {
        (short(r.source), short(r.component)) for r in outcome.results
    }
    level = {"Violation": "violation", "Warning": "warning", "Info": "info"}[expect.severity]
    assert outcome.fails(level)


def test_fixtures_cover_every_required_catch() -> None:
    covered = {(e.source, e.component) for path in INVALID for e in expectations(path)}
    missing = {name: pair for name, pair in REQUIRED_CATCHES.items() if pair not in covered}
    assert missing == {}


def test_warnings_do_not_fail_at_the_default_level(invalid_outcome: Outcome) -> None:
    warnings = [r for r in invalid_outcome.results if r.severity == SH.Warning]
    assert {short(r.source) for r in warnings} >= {
        "shapes:DeprecatedTermShape",
        "shapes:InitiativeShape-milestones",
    }
    only_warnings = Outcome(warnings, invalid_outcome.shapes, [], invalid_outcome.inputs, 1)
    assert not only_warnings.fails("violation")
    assert only_warnings.fails("warning")


def test_messages_are_bilingual_with_values_filled_in(invalid_outcome: Outcome) -> None:
    [result] = [
        r
        for r in invalid_outcome.results
        if short(r.constraint) == "shapes:MilestoneShape-dates-latest"
    ]
    assert "2024-03-31" in result.message("en") and "2025-03-31" in result.message("en")
    assert "2025-03-31" in result.message("ja") and "参照期間" in result.message("ja")
    assert "{?" not in result.message("en")


def test_corporate_number_of_the_digital_agency_is_valid(valid_outcome: Outcome) -> None:
    """8000012010038: 9 - (weighted sum of 000012010038 mod 9) = 9 - 19 mod 9 = 8."""
    digits = [int(d) for d in reversed("000012010038")]
    total = sum(d * (1 if n % 2 == 0 else 2) for n, d in enumerate(digits))
    assert 9 - total % 9 == 8
    assert found(valid_outcome, FIXTURES / "valid" / "corporate-number.ttl") == []


# ---------------------------------------------------------------- the SPARQL runner and pySHACL agree


def test_sparql_constraints_give_what_pyshacl_gives(shapes: Shapes, shapes_graph) -> None:
    """Our pyoxigraph runner and pySHACL itself report the same SPARQL-constraint results.

    pySHACL runs SPARQL through rdflib, slowly: both validate only the fixtures' expected focus nodes.
    """
    first = {}
    for path in INVALID:
        for e in expectations(path):
            if e.source in SPARQL_SHAPES:
                first.setdefault(e.source, (path, focus_iri(path, e.focus)))
    paths = sorted({path for path, _ in first.values()})
    focus = {node for _, node in first.values()}
    inputs = inputs_for(*paths)
    ours = {
        (str(r.focus), str(r.source), str(r.constraint), str(r.path), str(r.value))
        for r in validate(inputs, shapes=shapes, focus=focus).results
        if r.source in shapes.sparql
    }
    data = to_rdflib(parse_files([*inputs.data, *inputs.ontology]))
    focus_nodes = sorted(str(f) for f in focus)
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph, inplace=True, focus_nodes=focus_nodes
    )
    fields = (SH.focusNode, SH.sourceShape, SH.sourceConstraint, SH.resultPath, SH.value)
    theirs = {
        tuple(str(report.value(r, p)) for p in fields)
        for r in report.objects(None, SH.result)
        if report.value(r, SH.sourceShape) in shapes.sparql
    }
    assert len(ours) >= len(SPARQL_SHAPES)
    assert ours == theirs


def test_batched_constraints_equal_one_query_per_focus_node(shapes: Shapes) -> None:
    """Joining with VALUES (batchable queries) gives the rows that pre-binding $this gives."""
    inputs = inputs_for(*INVALID)
    store = load_store([*inputs.data, *inputs.ontology])
    compared = 0
    for shape, constraints in shapes.sparql.items():
        targets = shape_targets(store, shapes.graph, shape, None)
        for constraint in constraints:
            query = prefixes_for(shapes.graph, constraint) + str(
                shapes.graph.value(constraint, SH.select)
            )
            if not batchable(query):
                continue
            one_by_one = {
                (t, tuple(sorted(r.items())))
                for t in targets
                for t, r in solutions(store, query, t)
            }
            batched = {
                (t, tuple(sorted(r.items()))) for t, r in select_for_each(store, query, targets)
            }
            assert batched == one_by_one, constraint
            compared += len(one_by_one)
    assert compared >= 10


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT $this WHERE { $this a ?c . FILTER NOT EXISTS { $this ?p ?o } }", True),
        ("SELECT $this WHERE { { $this a ?c } UNION { $this ?p ?o } }", False),
        ("SELECT $this WHERE { { SELECT $this WHERE { $this ?p ?o } } }", False),
        ("SELECT $this WHERE { $this ?p ?o } GROUP BY $this", False),
        ("SELECT ?value WHERE { $this ?p ?value }", False),
        ('SELECT $this ?sum WHERE { $this ?p ?sum . VALUES ?x { "{" } }', True),
    ],
    ids=["exists", "union", "subquery", "group-by", "this-not-selected", "brace-in-string"],
)
def test_batchable_only_when_values_equal_pre_binding(query: str, expected: bool) -> None:
    assert batchable(query) is expected


SPARQL_SHAPES = {
    "shapes:MilestoneShape-dates",
    "shapes:ObservationShape-values",
    "shapes:CorporateNumberShape",
    "shapes:DeprecatedTermShape",
    "shapes:FiscalYearShape-bounds",
    "shapes:ObservationShape-when",
    "shapes:ObservationShape-subject",
}


# ---------------------------------------------------------------- checks


def test_checks_have_a_title_a_description_and_a_severity() -> None:
    checks = [Check.from_file(p) for p in sorted((ROOT / "queries" / "checks").glob("*.rq"))]
    assert len(checks) >= 4
    for check in checks:
        assert check.path.name.endswith("-violation.rq")
        assert check.title != check.path.stem and check.description
        assert check.severity in (SH.Violation, SH.Warning, SH.Info)
        assert re.search(r"SELECT\s+\?this\s+\?path\s+\?value\s+\?message", check.query)


def test_check_header_severity_must_be_known(tmp_path: Path) -> None:
    path = tmp_path / "odd-violation.rq"
    path.write_text(
        "# title: Odd\n# severity: Fatal\nSELECT ?this WHERE { ?this ?p ?o }\n", encoding="utf-8"
    )
    with pytest.raises(Exception, match="unknown severity"):
        Check.from_file(path)


# ---------------------------------------------------------------- the real data


@pytest.fixture(scope="session")
def real_outcome(shapes: Shapes) -> Outcome:
    data = sorted((ROOT / "data" / "ttl").rglob("*.ttl"))
    inputs = Inputs(
        data=tuple(data),
        ontology=tuple(sorted((ROOT / "ontology").glob("*.ttl"))),
        shapes=tuple(sorted((ROOT / "shapes").glob("*.ttl"))),
        checks=tuple(sorted((ROOT / "queries" / "checks").glob("*-violation.rq"))),
    )
    return validate(inputs, shapes=shapes)


def test_real_data_has_no_violations(real_outcome: Outcome) -> None:
    violations = [
        (str(r.focus), short(r.source), r.message("en"))
        for r in real_outcome.results
        if r.severity == SH.Violation
    ]
    assert violations == []
    assert real_outcome.triples > 1000


def test_every_real_result_has_a_file_and_line(real_outcome: Outcome) -> None:
    assert all(real_outcome.location(r) is not None for r in real_outcome.results)


# ---------------------------------------------------------------- --changed-since


@pytest.fixture(scope="module")
def changed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository with the real data committed, then one file changed and one added."""
    repo = tmp_path_factory.mktemp("repo")
    for folder in ("data", "ontology", "shapes", "queries"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("*.pyc"))
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "data"], cwd=repo, check=True)
    card = repo / "data" / "ttl" / "initiatives" / "mynumber-card.ttl"
    card.write_text(card.read_text(encoding="utf-8") + CHANGED_CARD, encoding="utf-8")
    (repo / "data" / "ttl" / "added.ttl").write_text(ADDED_FILE, encoding="utf-8")
    return repo


PREFIXES = """PREFIX dakg: <https://w3id.org/dakg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX initiative: <https://w3id.org/dakg/id/initiative/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
# A misspelt property on an initiative defined in the changed file.
CHANGED_CARD = """
initiative:mynumber-card
    dakg:pilar <https://w3id.org/dakg/id/pillar/citizen-centric-public-service> .
"""
# A new file: a milestone due by the end of FY2024 on the wrong day, and a percentage of 145.8.
ADDED_FILE = (
    PREFIXES
    + """
<https://w3id.org/dakg/id/milestone/mynumber-card-added>
    a dakg:Milestone ;
    rdfs:label "Added"@en , "追加"@ja ;
    dcterms:source <https://w3id.org/dakg/id/section/activity-report-2021-2022-ch3-mynumber-card> ;
    dakg:initiative initiative:mynumber-card ;
    dakg:wording "追加 (2024年度末)"@ja ;
    dakg:dateQualifier <https://w3id.org/dakg/id/date-qualifier/by-end-of> ;
    dakg:referencePeriod <https://w3id.org/dakg/id/fiscal-year/2024> ;
    dakg:latestDate "2024-12-31"^^xsd:date .

<https://w3id.org/dakg/id/observation/mynumber-card-added-rate>
    a dakg:Observation ;
    rdfs:label "Added rate"@en , "追加の率"@ja ;
    dcterms:source <https://w3id.org/dakg/id/section/activity-report-2021-2022-ch3-mynumber-card> ;
    dakg:indicator <https://w3id.org/dakg/id/indicator/mynumber-card-ownership-rate> ;
    dakg:initiative initiative:mynumber-card ;
    dakg:observationKind <https://w3id.org/dakg/id/observation-kind/actual> ;
    dakg:unit <https://w3id.org/dakg/id/unit/percent> ;
    dakg:value 145.8 ;
    dakg:asOf "2022-08"^^xsd:gYearMonth ;
    dakg:wording "145.8%"@ja .
"""
)


def repo_inputs(repo: Path) -> Inputs:
    return Inputs(
        data=tuple(sorted((repo / "data" / "ttl").rglob("*.ttl"))),
        ontology=tuple(sorted((repo / "ontology").glob("*.ttl"))),
        shapes=tuple(sorted((repo / "shapes").glob("*.ttl"))),
        checks=tuple(sorted((repo / "queries" / "checks").glob("*-violation.rq"))),
    )


def result_keys(results) -> set[tuple]:
    return {
        (str(r.focus), str(r.source), str(r.component), str(r.path), str(r.value), r.messages)
        for r in results
    }


def test_changed_since_equals_the_full_run_for_its_nodes(
    changed_repo: Path, shapes: Shapes
) -> None:
    inputs = repo_inputs(changed_repo)
    store = load_store([*inputs.data, *inputs.ontology])
    focus = changed_focus("HEAD", inputs, [changed_repo / "data" / "ttl"], store)
    assert focus is not None
    assert URIRef("https://w3id.org/dakg/id/initiative/mynumber-card") in focus
    assert URIRef("https://w3id.org/dakg/id/observation/mynumber-card-added-rate") in focus
    assert URIRef("https://w3id.org/dakg/id/initiative/dfft") not in focus
    full = validate(inputs, shapes=shapes, store=store)
    partial = validate(inputs, shapes=shapes, store=store, focus=focus)
    assert result_keys(partial.results) == result_keys(r for r in full.results if r.focus in focus)
    sources = {short(r.source) for r in partial.results}
    assert {
        "shapes:InitiativeShape-closed",
        "shapes:MilestoneShape-dates",
        "shapes:ObservationShape-values",
    } <= sources
    everything = {
        s for s in to_rdflib(parse_files(inputs.data)).subjects() if isinstance(s, URIRef)
    }
    assert len(focus) < len(everything) / 4


def test_changed_since_a_shapes_change_validates_everything(
    changed_repo: Path, tmp_path: Path
) -> None:
    inputs = repo_inputs(changed_repo)
    shapes_file = changed_repo / "shapes" / "dakg-shapes.ttl"
    original = shapes_file.read_text(encoding="utf-8")
    try:
        shapes_file.write_text(original + "\n", encoding="utf-8")
        store = load_store([*inputs.data, *inputs.ontology])
        assert changed_focus("HEAD", inputs, [changed_repo / "data" / "ttl"], store) is None
    finally:
        shapes_file.write_text(original, encoding="utf-8")


def test_changed_since_an_unknown_revision_is_an_input_error(changed_repo: Path) -> None:
    inputs = repo_inputs(changed_repo)
    store = load_store(inputs.data)
    with pytest.raises(Exception, match="git"):
        changed_focus("no-such-revision", inputs, [changed_repo / "data" / "ttl"], store)


def test_rdfs_subclass_hierarchy_comes_from_the_ontology(shapes: Shapes) -> None:
    """A Section is a Document only through the ontology: without it, a section is no source."""
    inputs = inputs_for(FIXTURES / "valid" / "observation.ttl")
    without = validate(Inputs(inputs.data, (), inputs.shapes, inputs.checks), shapes=shapes)
    assert "shapes:ObservationShape-source" in {short(r.source) for r in without.results}
    with_ontology = validate(inputs, shapes=shapes)
    assert "shapes:ObservationShape-source" not in {short(r.source) for r in with_ontology.results}


def test_shapes_conform_to_shacl_shacl(meta_shacl_run: subprocess.Popen) -> None:
    """pySHACL's meta-SHACL option: the shapes graph validates against the SHACL-SHACL shapes graph."""
    output, _ = meta_shacl_run.communicate(timeout=300)
    assert meta_shacl_run.returncode == 0, output


# ---------------------------------------------------------------- the internal queries


def test_the_internal_queries_are_files_of_rq_validation() -> None:
    """Every query the validation runs itself is a file of service/sparql/rq/validation/ with a header,
    and the package ships the folder."""
    import tomllib

    from dakg import packaged
    from dakg.validation.queries import internal_queries

    folder = ROOT / "service" / "sparql" / "rq" / "validation"
    files = sorted(folder.glob("*.rq"))
    assert files and packaged.internal_queries("validation").resolve() == folder
    source = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "service" / "validation").glob("*.py")
    )
    for path in files:
        head = path.read_text(encoding="utf-8").splitlines()
        assert head[0].startswith("# title: "), path
        assert any(line.startswith("# description: ") for line in head), path
        assert f'"{path.stem}"' in source, f"{path.name} is not used"
    assert internal_queries() == {p.stem: p.read_text(encoding="utf-8") for p in files}
    # SPARQL lives in .rq files: no query text in the package's strings.
    assert not re.search(r"""["'][^"'\n]*\b(SELECT|ASK|CONSTRUCT)\b[^"'\n]*\{""", source)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "rq/*/*.rq" in pyproject["tool"]["setuptools"]["package-data"]["dakg.sparql"]


def test_focus_nodes_are_bound_as_rdf_terms() -> None:
    """The --changed-since helpers bind their nodes as RDF terms: a text that is no IRI is refused,
    never pasted into the query."""
    from dakg.validation.focus import files_about, graph_subjects, neighbours, referrers

    path = FIXTURES / "valid" / "observation.ttl"
    store = load_store([path])
    subjects = graph_subjects(store, path.resolve())
    assert subjects and files_about(store, subjects, [path]) == [path]
    assert referrers(store, subjects) <= neighbours(store, subjects)
    with pytest.raises(ValueError):
        referrers(store, {URIRef("https://w3id.org/dakg/id/x> } ?n ?p ?x { <y")})
