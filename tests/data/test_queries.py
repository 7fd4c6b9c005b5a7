"""Every saved query runs on the real data, and its answer is checked against the report's own words."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from dakg.sparql.library import ParameterError, list_queries, load_query, run_query
from helpers import ROOT

RQ = ROOT / "service" / "sparql" / "rq"  # the queries the code runs itself
QUERIES = list_queries(ROOT / "queries")
ID = "https://w3id.org/dakg/id/"


def rows(dataset, name: str, **params: str) -> list[dict[str, str]]:
    result = run_query(dataset.store, load_query(name, ROOT / "queries"), params)
    names = [v.value for v in result.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in result]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_saved_query_has_a_header_and_answers_with_its_defaults(dataset, query) -> None:
    assert query.title and query.description
    result = run_query(dataset.store, query, {})
    assert len(list(result)) > 0, f"{query.name} answers nothing with its defaults"


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_declared_parameter_is_used_by_the_query(query) -> None:
    body = "\n".join(line for line in query.text.splitlines() if not line.startswith("#"))
    for param in query.parameters:
        assert re.search(rf"\?{param.name}\b", body), f"{query.name}: ?{param.name} unused"


def test_initiatives_of_each_pillar_in_the_reports_order(dataset, report_text) -> None:
    # The report's contents list: "- 1 マイナンバーカードの普及" ... under each pillar heading.
    listed = dict(re.findall(r"^- (\d+) (\S+)$", report_text, re.M))
    expected = {
        "citizen-centric-public-service": range(1, 8),
        "digital-infrastructure-for-inclusive-growth": range(8, 17),
        "digital-resilience": range(17, 20),
    }
    for pillar, numbers in expected.items():
        answer = rows(dataset, "initiatives-by-pillar", pillar=pillar)
        assert [r["label"] for r in answer] == [listed[str(n)] for n in numbers]
        assert {r["leadAgencyLabel"] for r in answer} == {"デジタル庁"}
    english = rows(dataset, "initiatives-by-pillar", pillar="digital-resilience", lang="en")
    assert english[0]["leadAgencyLabel"] == "Digital Agency"


def test_due_in_fiscal_2022_holds_the_smartphone_and_the_open_data_catalogue(dataset) -> None:
    answer = rows(dataset, "due-in-fiscal-year", fiscal_year="2022")
    wordings = [r["wording"] for r in answer]
    assert "マイナンバーカード機能のスマートフォン搭載 (2022年度内)" in wordings
    assert any("オープンデータ・カタログのリニューアル" in w for w in wordings)
    assert not any("運転免許証" in w for w in wordings)
    # Targets for FY2022: jGrants 700件, gBizID prime 100万件.
    targets = [r["wording"] for r in answer if r["kind"] == "target"]
    assert any("700件" in w for w in targets) and any("100万件" in w for w in targets)
    dues = [r["due"] for r in answer]
    assert dues == sorted(dues) and all("2022-04-01" <= d <= "2023-03-31" for d in dues)


def test_the_drivers_licence_integration_is_due_by_the_end_of_fiscal_2024(dataset) -> None:
    answer = rows(dataset, "due-in-fiscal-year", fiscal_year="2024")
    licence = [r for r in answer if "運転免許証" in r["wording"]]
    assert [r["due"] for r in licence] == ["2025-03-31"]


def test_milestones_before_and_after_a_date(dataset) -> None:
    before = rows(dataset, "milestones-due-before", date="2022-12-01")
    assert before and all(r["latestDate"] < "2022-12-01" for r in before)
    # 主務省令のモデル案 ... （2022年11月1日まで）
    assert any("2022年11月1日まで" in r["wording"] for r in before)
    after = rows(dataset, "milestones-due-after", date="2025-03-31")
    assert after and all(r["latestDate"] > "2025-03-31" for r in after)
    # Municipal systems move to standard systems by the end of FY2025; analogue rules go by June 2025.
    assert any("2025年度末まで" in r["wording"] for r in after)
    assert any("2025年6月まで" in r["wording"] for r in after)
    assert not any("2024年度末" in r["wording"] for r in after)


def test_figures_of_the_my_number_card(dataset) -> None:
    answer = rows(dataset, "initiative-figures", initiative="mynumber-card")
    by_value = {r["value"]: r for r in answer}
    assert by_value["18330000"]["asOf"] == "2022-08-21"
    assert by_value["18330000"]["unitLabel"] == "件"
    assert by_value["45.8"]["unitLabel"] == "％"
    assert (by_value["10590000"]["periodStart"], by_value["10590000"]["periodEnd"]) in {
        ("2021-09", "2022-07"),
        (None, None),
    }


def test_figures_of_the_vaccination_certificate_app(dataset) -> None:
    answer = rows(dataset, "initiative-figures", initiative="vaccination-certificate-app")
    values = {Decimal(r["value"]) for r in answer}
    assert {Decimal("10400000"), Decimal("8420000"), Decimal("3.6"), Decimal("4.0")} <= values


def test_the_initiatives_the_ministry_of_health_takes_part_in(dataset) -> None:
    answer = rows(dataset, "agency-initiatives", agency="mhlw")
    assert ("医療DXの推進", "partner") in {(r["label"], r["role"]) for r in answer}
    digital = rows(dataset, "agency-initiatives", agency="digital-agency")
    assert len({r["number"] for r in digital if r["role"] == "lead"}) == 19


def test_jp_pint_builds_on_peppol(dataset) -> None:
    answer = rows(dataset, "initiative-standards", initiative="digital-invoice", lang="en")
    assert ("JP PINT", "Peppol") in {(r["label"], r["basedOnLabel"]) for r in answer}
    foundations = rows(dataset, "standard-foundations", standard="jp-pint", lang="en")
    assert [(r["label"], r["steps"]) for r in foundations][0] == ("Peppol", "1")


def test_the_timeline_of_the_report_period(dataset) -> None:
    answer = rows(dataset, "timeline")
    dated = {(r["date"], r["kind"]) for r in answer}
    assert ("2022-03-31", "publication") in dated  # GIF
    assert ("2022-07-29", "event") in dated  # マイ制度ナビ
    assert ("2021-12", "event") in dated  # the vaccination certificate app
    assert ("2021-10-10", "event") in dated  # Digital Day 2021
    dates = [r["date"] for r in answer]
    assert dates == sorted(dates)
    assert all("2021-09" <= d <= "2022-08-31" for d in dates)
    later = rows(dataset, "timeline", **{"from": "2022-09-01", "to": "2022-12-31"})
    assert ("2022-10-02", "event") in {(r["date"], r["kind"]) for r in later}


def test_the_section_behind_an_initiative_a_milestone_and_a_figure(dataset) -> None:
    answer = rows(dataset, "source-section", entity=ID + "initiative/mynumber-card")
    assert [(r["sectionLabel"], r["chapterLabel"], r["page"]) for r in answer] == [
        ("マイナンバーカードの普及", "成果と進捗", "14")
    ]
    cloud = rows(dataset, "source-section", entity=ID + "initiative/government-cloud", lang="en")
    assert cloud[0]["page"] == "32"


@pytest.mark.parametrize(
    ("name", "params", "parameter"),
    [
        ("initiatives-by-pillar", {"pillar": "} UNION { ?s ?p ?o"}, "pillar"),
        ("milestones-due-before", {"date": "2022-13-01"}, "date"),
        ("milestones-due-before", {"date": '2022-01-01" } #'}, "date"),
        ("initiative-figures", {"lang": "fr"}, "lang"),
        ("source-section", {"entity": "http://example.org/x"}, "entity"),
        ("due-in-fiscal-year", {"fiscal_year": "20 22"}, "fiscal_year"),
    ],
)
def test_bad_parameters_are_refused_by_name(dataset, name, params, parameter) -> None:
    with pytest.raises(ParameterError) as error:
        rows(dataset, name, **params)
    assert error.value.parameter == parameter
    assert parameter in str(error.value)


def test_only_the_top_level_query_files_are_saved_queries() -> None:
    """queries/*.rq are the public saved queries (and REST routes); the checks of queries/checks/
    and the code's own queries (service/sparql/rq/: resources, store, pictures, validation) are not."""
    top = {p.stem for p in (ROOT / "queries").glob("*.rq")}
    assert {q.name for q in QUERIES} == top
    internal = {p.stem for p in [*(ROOT / "queries").glob("*/*.rq"), *RQ.glob("*/*.rq")]} - top
    assert {p.stem for p in (RQ / "validation").glob("*.rq")} <= internal
    for name in sorted(internal):
        with pytest.raises(ParameterError):
            load_query(name, ROOT / "queries")
    with pytest.raises(ParameterError):
        load_query("validation/referrers", ROOT / "queries")


def test_no_internal_query_becomes_a_route(dataset) -> None:
    from dakg.web.api import api_router

    paths = {route.path for route in api_router(ROOT / "queries", dataset).routes}
    top = {p.stem for p in (ROOT / "queries").glob("*.rq")}
    for path in [*(ROOT / "queries").glob("*/*.rq"), *RQ.glob("*/*.rq")]:
        if path.stem not in top:
            assert f"/api/queries/{path.stem}" not in paths, path
    for path in (RQ / "validation").glob("*.rq"):
        assert not any(path.stem in route.split("/") for route in paths), path


def test_the_describe_query_gives_what_describe_gives_for_every_subject(dataset) -> None:
    """service/sparql/rq/resources/describe.rq follows blank nodes (published as skolem IRIs) three
    levels deep, where DESCRIBE (its concise bounded description) follows blank nodes all the
    way: on the graph with those IRIs made blank nodes again, the same triples for every
    subject, so the data nests no deeper than the query reaches."""
    import pyoxigraph as ox
    from dakg.rdf.sources import GENID, is_skolem

    def blank(term):
        return ox.BlankNode(term.value[len(GENID) :]) if is_skolem(term) else term

    def skolem(term):
        return ox.NamedNode(GENID + term.value) if isinstance(term, ox.BlankNode) else term

    blanks = ox.Store()
    blanks.extend(
        ox.Quad(blank(q.subject), q.predicate, blank(q.object), q.graph_name) for q in dataset.store
    )
    text = (RQ / "resources" / "describe.rq").read_text(encoding="utf-8")
    subjects = {
        row["s"]
        for row in dataset.query(
            f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER (isIRI(?s) && !STRSTARTS(STR(?s), "{GENID}")) }}'
        )
    }
    assert len(subjects) > 500
    for subject in subjects:
        bound = {ox.Variable("entity"): subject}
        described = {
            ox.Triple(skolem(t.subject), t.predicate, skolem(t.object))
            for t in blanks.query(
                "DESCRIBE ?entity", substitutions=bound, use_default_graph_as_union=True
            )
        }
        constructed = set(dataset.query(text, substitutions=bound))
        assert constructed == described, subject
