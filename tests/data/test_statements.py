"""What the report states inside its prose or its lists is a statement of the graph: every
enumeration (a list in a sentence, or the items under a heading) is a dakg:Enumeration with its
items, each item either an entity that already exists or a dakg:ListItem with the report's words;
chapter 2's strategy figure is three dakg:StrategyLevel nodes."""

from __future__ import annotations

import re

import pytest
import rdflib
from dakg.rdf.namespaces import DEF, ID
from dakg.rdf.sources import graph_sources
from rdflib.namespace import OWL, RDF, RDFS
from test_data import ROOT, squash

DAKG = rdflib.Namespace(DEF)
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
ENUM = rdflib.Namespace(ID + "enumeration/")
LEVEL = rdflib.Namespace(ID + "strategy-level/")
SECTION = ID + "section/activity-report-2021-2022-"

# section -> {enumeration: how many items the report lists}
ENUMERATIONS = {
    "ch1-summary": {
        "ch1-pillars": 3,
        "ch1-pillar-1-initiatives": 7,
        "ch1-pillar-2-initiatives": 9,
        "ch1-pillar-3-initiatives": 3,
        "ch1-structure-culture-environment": 3,
        "ch1-project-and-unit-systems": 2,
        "ch1-working-styles": 3,
        "ch1-organisation-survey": 3,
        "ch1-public-services-and-infrastructure": 3,
        "ch1-organisational-reform": 4,
    },
    "ch2-mission-vision-values": {
        "vision": 2,
        "values": 4,
        "vision-gaas-stakeholders": 4,
        "value-questioned-premises": 2,
        "value-new-methods-and-concepts": 2,
        "value-beyond-positions-practices": 3,
        "value-results-practices": 3,
        "value-challenges-and-failures": 2,
    },
    "ch2-priority-plan": {
        "priority-plan-efforts": 3,
        "priority-plan-ministries-efforts": 2,
        "priority-plan-outreach": 2,
        "priority-plan-reviewed": 2,
        "priority-plan-progress-indicators": 2,
        "priority-plan-indicator-handling": 2,
        "priority-plan-measure-revisions": 3,
        "priority-plan-surveyed-groups": 2,
    },
    "ch2-three-pillars": {
        "three-pillars": 3,
        "overall-strategy-uses": 2,
    },
    "ch3-government-solution-service": {
        "government-solution-service-tools": 2,
        "communication-tool-examples": 2,
        "ministry-network-issues": 2,
        "separately-built-networks": 2,
        "government-solution-service-provided-environment": 2,
        "government-solution-service-improvements": 2,
        "ministry-lan-october-integrations": 2,
        "new-inter-ministry-network-qualities": 4,
        "commuting-individual-work-face-to-face-meetings": 3,
        "home-working-joint-work-web-meetings": 3,
    },
    "ch3-government-cloud": {
        "government-cloud-first-users": 2,
        "service-qualities-that-vary": 4,
        "separately-run-system-work": 2,
        "government-cloud-service-delivery": 2,
        "government-cloud-common-users": 2,
        "government-cloud-migration-support": 2,
    },
    "ch3-digital-garden-city": {
        "regional-social-issues": 3,
        "digital-garden-city-provided-tools": 2,
        "data-broker-supported-activities": 2,
        "digital-potential-outcomes": 2,
        "attractive-and-convenient-regions": 2,
    },
    "ch3-co-creation-platform": {
        "co-creation-platform-government-participants": 2,
        "co-creation-platform-discussed-measures": 3,
        "co-creation-platform-staff": 2,
        "national-and-local-government": 2,
    },
    "ch3-dfft": {
        "dfft-ministerial-meetings-and-visit": 3,
        "dfft-relationship-building": 4,
        "cross-border-data-risks": 2,
        "cross-border-risk-kinds": 2,
        "dfft-shared": 2,
        "dfft-relationship-kinds": 2,
        "dfft-relationship-actions": 2,
        "dfft-expert-cooperation": 2,
    },
    "ch3-municipal-system-standardisation": {
        "municipal-published-specifications": 2,
        "municipal-resources-for-digital-investment": 2,
        "municipal-reduced-burdens": 2,
        "municipal-system-burdens": 2,
        "municipal-core-system-changes": 2,
        "standard-specification-revision-drivers": 2,
    },
    "ch3-children-data-platform": {
        "children-data-use-case-steps": 5,
        "children-in-difficult-situations": 2,
        "children-guideline-contents": 2,
        "children-support-targets": 2,
        "demonstration-project-next-steps": 2,
    },
    "ch3-digital-administrative-research-committee": {
        "analogue-regulation-requirements": 3,
        "reforms-to-advance-together": 3,
        "unchanged-structures": 2,
        "cross-cutting-law-review-steps": 2,
    },
    "ch3-government-websites": {
        "government-websites-goals": 2,
        "government-websites-developed": 2,
        "ministry-sites-and-apps": 2,
        "ministry-site-differences": 2,
        "government-websites-standardised-aspects": 2,
        "government-websites-aim": 2,
        "government-sites-and-apps-less-convenient": 2,
        "design-system-application-targets": 2,
    },
    "ch3-digital-invoice": {
        "back-office-goals": 2,
        "paper-and-digital": 2,
        "invoice-information-handling": 2,
        "digital-invoice-aims": 2,
        "jp-pint-vendor-kinds": 2,
        "jp-pint-offerings": 2,
    },
    "ch3-digital-day": {
        "digital-day-used": 2,
        "digital-day-opportunities": 3,
        "digital-month-supporters": 2,
    },
    "ch3-vaccination-certificate-app": {
        "vaccination-app-ratings": 2,
        "vaccination-certificate-purposes": 2,
        "vaccination-app-feedback-sources": 2,
    },
    "ch3-business-services": {
        "business-procedure-burdens": 2,
        "business-procedure-scopes": 2,
        "gbizid-partner-system-owners": 2,
    },
    "ch3-education-digitalisation": {
        "education-survey-respondents": 2,
        "education-data-aims": 2,
        "education-data-roadmap-figure": 4,
        "subject-information-entities": 3,
        "content-and-activity-information": 2,
        "roadmap-2020-codes": 2,
        "education-interoperability-study-subjects": 2,
    },
    "ch3-data-strategy": {
        "data-strategy-published-rules": 2,
        "data-strategy-released-systems": 3,
        "administrative-data-lifecycle": 3,
        "foundational-data-examples": 2,
        "society-5-0-spaces": 2,
        "insufficient-data-foundations": 2,
        "gif-use-fields": 3,
        "my-seido-navi-users": 2,
    },
    "ch3-medical-dx": {
        "medical-dx-viewable-information": 2,
        "medical-dx-viewing-places": 2,
        "medical-dx-viewing-professionals": 2,
        "medical-dx-information-fields": 2,
        "medical-dx-information-uses": 2,
        "medical-welfare-aims": 2,
    },
    "ch3-mynumber-card": {
        "mynumber-card-usage-scenes": 2,
        "mynumber-card-services": 2,
    },
    "ch3-mynaportal": {
        "mynaportal-supported-actions": 3,
        "mynaportal-new-functions": 3,
        "mynaportal-viewable-information": 2,
        "mynaportal-functions-figure": 4,
        "mynaportal-partners": 2,
        "mynaportal-improved-aspects": 2,
        "mynaportal-unconstrained-by": 2,
        "mynaportal-procedure-fields": 2,
        "mynaportal-linked-services": 2,
    },
    "ch3-cashless-payment-law": {
        "cashless-payment-methods": 3,
        "non-cashless-payment-methods": 2,
        "cashless-procedures-examples": 4,
        "cashless-act-model-ordinances-and-guidelines": 2,
    },
    "ch4-structure-culture-environment": {
        "ch4-structure-culture-environment": 3,
        "organisational-structure-measures": 4,
        "organisational-culture-measures": 7,
        "working-environment-measures": 5,
        "organisational-culture-measures-in-text": 3,
        "organisational-structure-built": 2,
        "common-goals": 2,
        "culture-regardless-of": 2,
        "diverse-skills-and-experience": 2,
        "working-environment-hard-and-soft": 2,
        "working-environment-policy-subjects": 2,
        "mvv-award-kinds": 3,
        "value-ambassadors-promoted": 3,
        "recruitment-publicity-channels": 2,
        "hr-saas-visualised": 2,
        "remote-environment-activities": 2,
        "study-session-fields": 2,
        "communication-policy-subjects": 2,
    },
    "ch4-project-and-unit-systems": {
        "ch4-project-and-unit-systems": 2,
        "four-groups": 4,
        "resource-unit-posts": 2,
    },
    "ch4-working-styles": {
        "ch4-working-styles": 3,
        "kasumigaseki-conventional-ways-of-working": 3,
        "efficient-working-tools": 2,
        "remote-meeting-participants": 2,
        "kasumigaseki-constraints": 2,
        "working-with-freedom-measures": 3,
        "online-all-hands-meeting-participants": 3,
        "efficient-working-environment-and-mechanisms": 2,
        "staff-origins": 2,
        "staff-backgrounds-and-expertise": 2,
        "staff-from-both-sectors": 2,
    },
    "ch4-organisation-survey": {
        "ch4-organisation-survey": 3,
        "organisation-survey-measures": 4,
        "organisational-reform-processes": 3,
        "organisation-survey-improvements": 3,
        "staff-satisfaction-and-engagement": 2,
    },
    "ch5-future": {
        "ch5-fact-based-project-promotion": 3,
        "ch5-numbers-and-facts": 2,
        "ch5-launch-to-strengthening": 2,
        "project-goal-elements": 4,
        "project-group-measures": 2,
        "service-development-staff": 2,
        "recruited-expertise": 2,
        "management-planning-tasks": 2,
    },
}

NEW_CLASSES = [DAKG.Enumeration, DAKG.ListItem, DAKG.StrategyLevel, DAKG.Figure]


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for source in graph_sources(ROOT):
        g.parse(source.path, format="turtle")
    return g


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "dakg.ttl")


def ja(graph: rdflib.Graph, node, prop=RDFS.label) -> list[str]:
    return [str(o) for o in graph.objects(node, prop) if getattr(o, "language", None) == "ja"]


@pytest.mark.parametrize("section", sorted(ENUMERATIONS))
def test_each_sections_enumerations_list_what_the_report_lists(graph, section) -> None:
    """The enumerations of a section are those the report gives there, each with as many items."""
    found = {
        str(e).removeprefix(str(ENUM)): len(set(graph.objects(e, DAKG.listItem)))
        for e in graph.subjects(RDF.type, DAKG.Enumeration)
        if rdflib.URIRef(SECTION + section) in set(graph.objects(e, DCTERMS.source))
    }
    assert found == ENUMERATIONS[section]


@pytest.mark.parametrize("cls", NEW_CLASSES, ids=lambda c: c.fragment or str(c).rsplit("/", 1)[1])
def test_every_statement_has_the_reports_words_and_its_section(graph, report_text, cls) -> None:
    """One @ja label, verbatim in the report, no English label the report does not give, and a
    source that is a section of the report."""
    text = squash(report_text)
    sections = set(graph.subjects(RDF.type, DAKG.Section))
    faults = []
    nodes = set(graph.subjects(RDF.type, cls))
    assert nodes
    for node in nodes:
        labels = list(graph.objects(node, RDFS.label))
        if [lbl.language for lbl in labels] != ["ja"]:
            faults.append(f"{node}: labels {labels}")
        elif squash(str(labels[0])) not in text:
            faults.append(f"{node}: {labels[0]!r} is not in the report")
        for alt in ja(graph, node, SKOS.altLabel) + ja(graph, node, DAKG.description):
            if squash(alt) not in text:
                faults.append(f"{node}: {alt!r} is not in the report")
        if not any(s in sections for s in graph.objects(node, DCTERMS.source)):
            faults.append(f"{node}: no report section")
    assert faults == []


def test_an_enumeration_keeps_its_sentence_and_its_items_are_in_it(graph, report_text) -> None:
    """The enumeration's wording is the sentence (or heading) verbatim and its label stands in it;
    an item of a list inside a sentence stands in that sentence, in the order of dakg:position;
    positions are distinct, from 1 to the number of items at most."""
    text = squash(report_text)
    faults = []
    for e in graph.subjects(RDF.type, DAKG.Enumeration):
        (wording,) = ja(graph, e, DAKG.wording)
        sentence = squash(wording)
        if sentence not in text:
            faults.append(f"{e}: wording not in the report")
        (label,) = ja(graph, e, RDFS.label)
        if squash(label) not in sentence:
            faults.append(f"{e}: label not in its wording")
        every = set(graph.objects(e, DAKG.listItem))
        items = [i for i in every if (i, RDF.type, DAKG.ListItem) in graph]
        positions = [int(graph.value(i, DAKG.position)) for i in items]
        if len(set(positions)) != len(positions) or any(
            not 1 <= p <= len(every) for p in positions
        ):
            faults.append(f"{e}: positions {positions}")
        words = [
            squash(ja(graph, i)[0])
            for i in sorted(items, key=lambda i: int(graph.value(i, DAKG.position)))
        ]
        if sentence.endswith(squash(label)):
            continue  # a heading: its items are printed under it, not in it
        at = 0
        for word in words:
            found = sentence.find(word, at)
            if found < 0:
                faults.append(f"{e}: {word!r} not in its sentence after position {at}")
            else:
                at = found + len(word)
    assert faults == []


@pytest.mark.parametrize(
    ("forward", "back"),
    [
        ("listItem", "inEnumeration"),
        ("hasEnumeration", "enumerationOf"),
        ("strategyLevel", "levelOf"),
    ],
)
def test_statement_links_are_stated_both_ways(graph, ontology, forward, back) -> None:
    forward, back = DAKG[forward], DAKG[back]
    assert (forward, OWL.inverseOf, back) in ontology
    there = set(graph.subject_objects(forward))
    back_again = {(o, s) for s, o in graph.subject_objects(back)}
    assert there
    assert sorted(there ^ back_again) == []


def test_the_new_terms_are_defined_in_both_languages(ontology) -> None:
    terms = [
        *NEW_CLASSES,
        DAKG.hasEnumeration,
        DAKG.enumerationOf,
        DAKG.listItem,
        DAKG.inEnumeration,
        DAKG.position,
        DAKG.strategyLevel,
        DAKG.levelOf,
        DAKG.hasFigure,
    ]
    for term in terms:
        assert sorted(lbl.language for lbl in ontology.objects(term, RDFS.label)) == ["en", "ja"]
        assert sorted(d.language for d in ontology.objects(term, SKOS.definition)) == ["en", "ja"]


def test_the_strategy_figure_has_its_three_levels_as_printed(graph) -> None:
    """政府デジタル戦略（重点計画） / 3つの柱（全体戦略） / 各プロジェクト戦略, in the figure's
    order; the plan and the pillars are the levels the figure names them as, and no relation
    between the levels is stated beyond their order."""
    levels = sorted(
        graph.subjects(RDF.type, DAKG.StrategyLevel),
        key=lambda s: int(graph.value(s, DAKG.position)),
    )
    assert [ja(graph, s)[0] for s in levels] == [
        "政府デジタル戦略",
        "3つの柱",
        "各プロジェクト戦略",
    ]
    assert [ja(graph, s, SKOS.altLabel) for s in levels] == [["重点計画"], ["全体戦略"], []]
    plan = rdflib.URIRef(ID + "document/priority-policy-program")
    assert set(graph.objects(LEVEL["government-digital-strategy"], DAKG.levelOf)) == {plan}
    assert set(graph.objects(LEVEL["three-pillars"], DAKG.levelOf)) == set(
        graph.subjects(RDF.type, DAKG.Pillar)
    )
    assert set(graph.objects(LEVEL["project-strategies"], DAKG.levelOf)) == set()
    for s in levels:
        for p, _ in graph.predicate_objects(s):
            assert not str(p).startswith(str(SKOS) + "broader") and p != SKOS.narrower


@pytest.mark.parametrize("number", [1, 2, 3])
def test_chapter_1_lists_each_pillars_initiatives(graph, number) -> None:
    """Chapter 1's list under each pillar holds that pillar's initiatives, in their numbers' order."""
    enumeration = ENUM[f"ch1-pillar-{number}-initiatives"]
    (pillar,) = graph.objects(enumeration, DAKG.enumerationOf)
    assert int(graph.value(pillar, DAKG.number)) == number
    items = set(graph.objects(enumeration, DAKG.listItem))
    assert items == set(graph.objects(pillar, DAKG.hasInitiative))


def test_chapter_4s_lists_name_its_programmes_under_their_area(graph) -> None:
    """The items listed under 組織体制 / 組織文化 / 働く環境 are the programmes whose dakg:area is
    that heading."""
    for key in [
        "organisational-structure-measures",
        "organisational-culture-measures",
        "working-environment-measures",
    ]:
        enumeration = ENUM[key]
        (heading,) = ja(graph, enumeration)
        assert {
            str(graph.value(i, DAKG.area)) for i in graph.objects(enumeration, DAKG.listItem)
        } == {heading}
        assert re.fullmatch(r"\S+", heading)


def test_the_childrens_use_case_is_its_five_numbered_steps_with_their_text(
    graph, report_text
) -> None:
    """The figure's flow: 1 情報収集・連携 ... 5 支援への接続, each step's text kept verbatim."""
    steps = sorted(
        graph.objects(ENUM["children-data-use-case-steps"], DAKG.listItem),
        key=lambda s: int(graph.value(s, DAKG.position)),
    )
    assert [ja(graph, s)[0] for s in steps] == [
        "情報収集・連携",
        "分析・判定",
        "人によるアセスメント",
        "個々の対応策の検討",
        "支援への接続",
    ]
    text = squash(report_text)
    for number, step in enumerate(steps, 1):
        (description,) = ja(graph, step, DAKG.description)
        assert squash(f"{number}{ja(graph, step)[0]}{description}") in text


FIGURES = {
    "ch3-data-strategy": ["データ基盤整理のロードマップの成果"],
    "ch3-digital-invoice": [
        "「JP PINT」対応のデジタルインボイスの活用で、システムの差異を問わず、請求情報の連携・自動処理が可能に"
    ],
    "ch3-cashless-payment-law": [
        "キャッシュレスで お支払い可能に",
        "キャッシュレス支払いが可能になる予定の行政手続きの例",
    ],
    "ch3-children-data-platform": ["子どもに関する情報・データ連携で想定されるユースケース"],
    "ch3-education-digitalisation": ["教育データ利活用ロードマップ"],
}


def test_figure_captions_are_figures_of_their_initiative_both_ways(graph) -> None:
    found: dict[str, list[str]] = {}
    for figure in graph.subjects(RDF.type, DAKG.Figure):
        (section,) = graph.objects(figure, DCTERMS.source)
        key = str(section).removeprefix(SECTION)
        found.setdefault(key, []).append(ja(graph, figure)[0])
        (initiative,) = graph.objects(figure, DAKG.initiative)
        assert (initiative, DAKG.hasFigure, figure) in graph
        assert key == "ch3-" + str(initiative).rsplit("/", 1)[1]
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in FIGURES.items()}
    assert len(set(graph.subject_objects(DAKG.hasFigure))) == sum(map(len, FIGURES.values()))


def test_chapter_1s_own_text_is_kept_as_printed(graph, report_text) -> None:
    """Its headline, and each of its two parts with its paragraph and the lists under it."""
    section = rdflib.URIRef(SECTION + "ch1-summary")
    assert ja(graph, section, DAKG.tagline) == ["設立から1年で、着実に改革やサービスを前進"]
    text = squash(report_text)
    for key, lists in [
        ("ch1-public-services-and-infrastructure", 3),
        ("ch1-organisational-reform", 4),
    ]:
        (paragraph,) = ja(graph, ENUM[key], DAKG.description)
        assert squash(paragraph) in text
        parts = set(graph.objects(ENUM[key], DAKG.listItem))
        assert len(parts) == lists
        assert all((p, RDF.type, DAKG.Enumeration) in graph for p in parts)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("vision-gaas-stakeholders", ["国", "地方公共団体", "民間事業者", "その他あらゆる関係者"]),
        (
            "value-beyond-positions-practices",
            ["多様性を尊重し", "相手に共感し", "学び合い補い合う"],
        ),
        ("mynaportal-procedure-fields", ["子育て", "介護"]),
        ("gif-use-fields", ["教育", "防災", "スマートシティ"]),
        ("subject-information-entities", ["児童生徒", "学校", "教職員"]),
        (
            "new-inter-ministry-network-qualities",
            ["広帯域", "高品質", "低コスト", "高セキュリティ"],
        ),
        ("digital-day-opportunities", ["振り返り", "体験し", "見直す"]),
        ("mvv-award-kinds", ["MVP", "ビジョン賞", "バリュー賞"]),
        (
            "project-goal-elements",
            ["解決すべき課題", "提供する価値", "実現する姿（Why/What）", "目標達成ための方針(How)"],
        ),
    ],
)
def test_lists_inside_sentences_keep_the_reports_words_in_order(graph, key, words) -> None:
    """Lists the report gives inside one sentence (「A、B、Cなど」), item by item as printed."""
    items = sorted(
        graph.objects(ENUM[key], DAKG.listItem), key=lambda i: int(graph.value(i, DAKG.position))
    )
    assert [ja(graph, i)[0] for i in items] == words
    assert all((i, RDF.type, DAKG.ListItem) in graph for i in items)


def test_chapter_5s_headings_list_its_programmes(graph) -> None:
    """数値や事実にもとづくプロジェクト推進へ。 heads three programmes, 組織立ち上げフェーズから
    機能強化フェーズへ。 two: the programmes as they are, not new list items."""
    for key, heading, count in [
        ("ch5-fact-based-project-promotion", "数値や事実にもとづくプロジェクト推進へ。", 3),
        ("ch5-launch-to-strengthening", "組織立ち上げフェーズから機能強化フェーズへ。", 2),
    ]:
        items = set(graph.objects(ENUM[key], DAKG.listItem))
        assert ja(graph, ENUM[key]) == [heading]
        assert len(items) == count
        assert {str(graph.value(i, DAKG.area)) for i in items} == {heading}
        assert all((i, RDF.type, DAKG.OrganisationalProgramme) in graph for i in items)


def test_the_uncaptioned_working_figure_is_two_lists_and_says_no_more(graph, report_text) -> None:
    """The government solution service's figure prints 通勤 / 個別作業 / 対面の会議 and 在宅ワーク /
    共同作業 / WEB会議, each with a line under it, and no caption: two enumerations labelled with
    their lines, no dakg:Figure, each saying (rdfs:comment) what the report leaves unsaid."""
    text = squash(report_text)
    for key, words in [
        ("commuting-individual-work-face-to-face-meetings", ["通勤", "個別作業", "対面の会議"]),
        ("home-working-joint-work-web-meetings", ["在宅ワーク", "共同作業", "WEB会議"]),
    ]:
        enumeration = ENUM[key]
        items = sorted(
            graph.objects(enumeration, DAKG.listItem),
            key=lambda i: int(graph.value(i, DAKG.position)),
        )
        assert [ja(graph, i)[0] for i in items] == words
        (label,) = ja(graph, enumeration)
        assert label.startswith(words[0] + " ") and squash(label) in text
        for item in items:
            (description,) = ja(graph, item, DAKG.description)
            assert squash(ja(graph, item)[0] + description) in text
        assert set(graph.objects(enumeration, DAKG.enumerationOf)) == {
            rdflib.URIRef(ID + "initiative/government-solution-service")
        }
        comments = {c.language for c in graph.objects(enumeration, RDFS.comment)}
        assert comments == {"en", "ja"}
    initiative = rdflib.URIRef(ID + "initiative/government-solution-service")
    assert set(graph.objects(initiative, DAKG.hasFigure)) == set()
