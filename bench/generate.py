"""Deterministic synthetic graphs in the project's own ontology, at any size.

    python bench/generate.py --triples 100000 --out build/bench/data-100k [--seed 8]

writes a project-shaped folder that `Dataset.load(folder)`, `DAKG_ROOT=folder dakg serve` and
`dakg validate folder/data/ttl` work on:

    ontology/dakg.ttl          copied from the checkout
    queries/, shapes/          symlinks to the checkout's
    data/ttl/{codes,time,pillars,agencies,report}.ttl   copied: the shared entities
    data/ttl/syn-agencies.ttl  synthetic partner agencies
    data/ttl/initiatives/syn-NNNNNN.ttl   one synthetic initiative per file, as in the real data

Each initiative comes with its report section, systems, standards (some built on earlier ones),
milestones dated by the rules of data/README.md, indicators with observations (actuals, changes,
targets linked from milestones), and now and then an event. Every entity has exactly one @ja and
one @en label and a dcterms:source section. The same seed and size give the same bytes.
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import json
import random
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = "1"
SHARED_FILES = ("codes.ttl", "time.ttl", "pillars.ttl", "agencies.ttl", "report.ttl")
REPORT = "document:activity-report-2021-2022"
SECTION = "section:activity-report-2021-2022-ch3-"
PREFIXES = {
    "agency": "https://w3id.org/dakg/id/agency/",
    "dakg": "https://w3id.org/dakg/def/",
    "datequalifier": "https://w3id.org/dakg/id/date-qualifier/",
    "dcterms": "http://purl.org/dc/terms/",
    "document": "https://w3id.org/dakg/id/document/",
    "event": "https://w3id.org/dakg/id/event/",
    "fiscalyear": "https://w3id.org/dakg/id/fiscal-year/",
    "indicator": "https://w3id.org/dakg/id/indicator/",
    "initiative": "https://w3id.org/dakg/id/initiative/",
    "milestone": "https://w3id.org/dakg/id/milestone/",
    "month": "https://w3id.org/dakg/id/month/",
    "observation": "https://w3id.org/dakg/id/observation/",
    "observationkind": "https://w3id.org/dakg/id/observation-kind/",
    "pillar": "https://w3id.org/dakg/id/pillar/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "scheme": "https://w3id.org/dakg/id/scheme/",
    "section": "https://w3id.org/dakg/id/section/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "standard": "https://w3id.org/dakg/id/standard/",
    "system": "https://w3id.org/dakg/id/system/",
    "unit": "https://w3id.org/dakg/id/unit/",
    "valuequalifier": "https://w3id.org/dakg/id/value-qualifier/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "year": "https://w3id.org/dakg/id/year/",
}
PILLARS = (
    ("citizen-centric-public-service", 1, 5),
    ("digital-infrastructure-for-inclusive-growth", 2, 3),
    ("digital-resilience", 3, 2),
)
# (ja, en) building blocks for labels and wording.
TOPICS = (
    ("行政手続き", "administrative procedures"),
    ("データ連携", "data linkage"),
    ("本人確認", "identity verification"),
    ("電子申請", "online applications"),
    ("自治体システム", "municipal systems"),
    ("医療情報", "medical information"),
    ("教育データ", "education data"),
    ("防災情報", "disaster information"),
    ("電子契約", "electronic contracts"),
    ("公金受取口座", "public benefit accounts"),
    ("不動産登記", "real estate registration"),
    ("子育て支援", "childcare support"),
    ("介護情報", "long-term care information"),
    ("交通データ", "transport data"),
    ("農業データ", "agricultural data"),
    ("地理空間情報", "geospatial information"),
    ("オープンデータ", "open data"),
    ("ベース・レジストリ", "base registries"),
    ("サイバーセキュリティ", "cybersecurity"),
    ("調達", "procurement"),
    ("電子インボイス", "e-invoicing"),
    ("手数料納付", "fee payments"),
    ("職員の働き方", "civil servants' ways of working"),
    ("ウェブサイト", "websites"),
)
ACTIONS = (
    ("推進", "Promoting"),
    ("整備", "Building"),
    ("標準化", "Standardising"),
    ("デジタル化", "Digitalising"),
    ("オンライン化", "Bringing online"),
    ("共通化", "Sharing"),
    ("高度化", "Upgrading"),
    ("普及", "Spreading"),
)
SYSTEM_KINDS = (
    ("基盤", "platform"),
    ("ポータル", "portal"),
    ("アプリ", "app"),
    ("データベース", "database"),
)
STANDARD_KINDS = (
    ("データ標準", "data standard"),
    ("仕様書", "specification"),
    ("ガイドライン", "guideline"),
    ("API仕様", "API specification"),
)
MEASURES = (
    ("利用件数", "uses", "case"),
    ("利用者数", "users", "person"),
    ("参加自治体数", "participating municipalities", "municipality"),
    ("対応手続数", "procedures covered", "procedure"),
    ("導入事業者数", "businesses adopting", "business"),
    ("ダウンロード数", "downloads", "download"),
    ("連携システム数", "connected systems", "system"),
    ("普及率", "adoption rate", "percent"),
    ("オンライン化率", "online rate", "percent"),
)
MILESTONE_STEPS = (
    ("運用開始", "start of operation"),
    ("実証実験", "pilot"),
    ("全国展開", "nationwide roll-out"),
    ("仕様の公表", "publication of the specification"),
    ("制度改正", "revision of the rules"),
    ("調達開始", "start of procurement"),
    ("機能拡充", "new functions"),
    ("利用促進", "wider use"),
)
AGENCY_FIELDS = (
    ("地域", "Regional"),
    ("産業", "Industrial"),
    ("保健", "Health"),
    ("交通", "Transport"),
    ("環境", "Environmental"),
    ("文化", "Cultural"),
    ("情報", "Information"),
    ("防災", "Disaster Management"),
)
REAL_PARTNERS = (
    "cabinet-secretariat",
    "mhlw",
    "mic",
    "mext",
    "maff",
    "personal-information-protection-commission",
)
# (qualifier, weight): how often each kind of timing occurs.
QUALIFIERS = (
    ("during-fy", 30),
    ("during-month", 8),
    ("during-year", 5),
    ("exact", 4),
    ("by-end-of", 12),
    ("by-fy", 6),
    ("by-month", 4),
    ("by-day", 3),
    ("from", 6),
    ("from-end-of", 2),
    ("ongoing", 10),
    ("unspecified", 10),
)
FISCAL_YEARS = tuple(range(2022, 2027))
CALENDAR_YEARS = tuple(range(2022, 2027))
TRIPLES_PER_INITIATIVE = 220  # a first estimate, used only to size the agency list


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A Turtle literal, escaped."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if lang:
        return f'"{body}"@{lang}'
    if datatype:
        return f'"{body}"^^{datatype}'
    return f'"{body}"'


def date_lit(y: int, m: int, d: int) -> str:
    return literal(f"{y:04d}-{m:02d}-{d:02d}", datatype="xsd:date")


def month_lit(y: int, m: int) -> str:
    return literal(f"{y:04d}-{m:02d}", datatype="xsd:gYearMonth")


def last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


@dataclass
class Entity:
    """One subject: its types and (predicate, object) pairs, objects written as Turtle terms."""

    subject: str
    types: list[str]
    props: list[tuple[str, str]] = field(default_factory=list)

    def add(self, predicate: str, *objects: str) -> Entity:
        self.props.extend((predicate, o) for o in objects)
        return self

    def labels(self, ja: str, en: str) -> Entity:
        return self.add("rdfs:label", literal(en, "en"), literal(ja, "ja"))

    @property
    def triples(self) -> int:
        return len(self.types) + len(self.props)

    def turtle(self) -> str:
        """The entity in the project's layout: `a` first, predicates sorted, one object a line."""
        lines = [self.subject]
        groups: dict[str, list[str]] = {"a": sorted(self.types)}
        for predicate, obj in sorted(self.props):
            groups.setdefault(predicate, []).append(obj)
        items = groups.items()
        for predicate, objects in items:
            if len(objects) == 1:
                lines.append(f"    {predicate} {objects[0]} ;")
            else:
                lines.append(f"    {predicate}")
                lines.extend(f"        {o} ," for o in objects[:-1])
                lines.append(f"        {objects[-1]} ;")
        lines.append(".")
        return "\n".join(lines) + "\n"


def document(entities: list[Entity]) -> str:
    """A Turtle file: the prefixes it uses, then its entities."""
    body = "\n".join(e.turtle() for e in entities)
    used = sorted(p for p in PREFIXES if re.search(rf"(?<![\w-]){p}:", body))
    head = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in used)
    return head + "\n" + body


@dataclass
class Context:
    """What a generator run shares across initiatives: randomness, months, agencies, standards."""

    rng: random.Random
    months: tuple[tuple[int, int], ...]
    agencies: list[str]
    standards: list[str] = field(default_factory=list)


def weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def section_of(key: str) -> str:
    return SECTION + key


def make_section(key: str, number: int, pillar: int, ja: str, en: str) -> Entity:
    e = Entity(section_of(key), ["dakg:Section"]).labels(ja, en)
    e.add("dcterms:isPartOf", f"{SECTION}pillar-{pillar}")
    e.add("dcterms:source", REPORT)
    e.add("dakg:number", str(number))
    e.add("dakg:pageNumber", literal(str(20 + number), datatype="xsd:integer"))
    return e


def make_milestone(ctx: Context, key: str, index: int, topic: tuple[str, str]) -> Entity:
    """A milestone whose wording, qualifier, reference period and dates follow data/README.md."""
    rng = ctx.rng
    step_ja, step_en = rng.choice(MILESTONE_STEPS)
    e = Entity(f"milestone:{key}-step-{index}", ["dakg:Milestone"])
    e.labels(f"{topic[0]}の{step_ja}", f"{step_en.capitalize()} for {topic[1]}")
    e.add("dcterms:source", section_of(key)).add("dakg:initiative", f"initiative:{key}")
    thing = f"{topic[0]}の{step_ja}"
    kind = weighted(rng, QUALIFIERS)
    fy = rng.choice(FISCAL_YEARS)
    if kind == "during-fy":
        timing(e, "during", f"fiscalyear:{fy}", (fy, 4, 1), (fy + 1, 3, 31))
        wording = f"{thing}（{fy}年度中）"
    elif kind == "during-month":
        y, m = rng.choice(ctx.months)
        timing(e, "during", f"month:{y}-{m:02d}", (y, m, 1), (y, m, last_day(y, m)))
        wording = f"{thing}（{y}年{m}月）"
    elif kind == "during-year":
        y = rng.choice(CALENDAR_YEARS)
        timing(e, "during", f"year:{y}", (y, 1, 1), (y, 12, 31))
        wording = f"{thing}（{y}年内）"
    elif kind == "exact":
        y, m = rng.choice(ctx.months)
        d = rng.randint(1, last_day(y, m))
        timing(e, "exact", None, (y, m, d), (y, m, d))
        wording = f"{thing}（{y}年{m}月{d}日）"
    elif kind == "by-end-of":
        timing(e, "by-end-of", f"fiscalyear:{fy}", None, (fy + 1, 3, 31))
        wording = f"{thing}（{fy}年度末）"
    elif kind == "by-fy":
        timing(e, "by", f"fiscalyear:{fy}", None, (fy + 1, 3, 31))
        wording = f"{thing}（{fy}年度まで）"
    elif kind == "by-month":
        y, m = rng.choice(ctx.months)
        timing(e, "by", f"month:{y}-{m:02d}", None, (y, m, last_day(y, m)))
        wording = f"{thing}（{y}年{m}月まで）"
    elif kind == "by-day":
        y, m = rng.choice(ctx.months)
        d = rng.randint(1, last_day(y, m))
        timing(e, "by", None, None, (y, m, d))
        wording = f"{thing}（{y}年{m}月{d}日まで）"
    elif kind == "from":
        timing(e, "from", f"fiscalyear:{fy}", (fy, 4, 1), None)
        wording = f"{thing}（{fy}年度以降）"
    elif kind == "from-end-of":
        timing(e, "from-end-of", f"fiscalyear:{fy}", None, None)
        wording = f"{thing}（{fy}年度末以降）"
    elif kind == "ongoing":
        timing(e, "ongoing", None, None, None)
        wording = f"{thing}を順次進める"
    else:
        timing(e, "unspecified", None, None, None)
        wording = f"{thing}を目指す"
    e.add("dakg:wording", literal(wording, "ja"))
    if rng.random() < 0.1:
        e.add("dakg:agency", f"agency:{rng.choice(ctx.agencies)}")
    return e


def timing(
    e: Entity,
    qualifier: str,
    period: str | None,
    earliest: tuple[int, int, int] | None,
    latest: tuple[int, int, int] | None,
) -> None:
    e.add("dakg:dateQualifier", f"datequalifier:{qualifier}")
    if period:
        e.add("dakg:referencePeriod", period)
    if earliest:
        e.add("dakg:earliestDate", date_lit(*earliest))
    if latest:
        e.add("dakg:latestDate", date_lit(*latest))


def value_term(rng: random.Random, unit: str, scale: int) -> tuple[str, str, str]:
    """A value (Turtle term) with its ja and en text."""
    if unit == "percent":
        v = round(rng.uniform(1, 99), 1)
        return str(v), f"{v}%", f"{v}%"
    v = rng.randint(1, 9) * 10 ** rng.randint(1, scale)
    return str(v), f"{v:,}", f"{v:,}"


def make_indicator(key: str, j: int, measure: tuple[str, str, str], topic) -> Entity:
    e = Entity(f"indicator:{key}-m{j}", ["dakg:Indicator"])
    e.labels(f"{topic[0]}の{measure[0]}", f"{measure[1].capitalize()} of {topic[1]}")
    e.add("skos:inScheme", "scheme:indicators").add("dcterms:source", section_of(key))
    return e


def observation(key: str, j: int, n: int, measure, topic, value: tuple[str, str, str]) -> Entity:
    e = Entity(f"observation:{key}-m{j}-{n}", ["dakg:Observation"])
    e.add("dcterms:source", section_of(key)).add("dakg:initiative", f"initiative:{key}")
    e.add("dakg:indicator", f"indicator:{key}-m{j}").add("dakg:unit", f"unit:{measure[2]}")
    e.add("dakg:value", value[0])
    return e


def make_series(ctx: Context, key: str, j: int, measure, topic) -> list[Entity]:
    """The actual figures of one indicator: monthly values, a change, sometimes an estimate."""
    rng = ctx.rng
    unit = measure[2]
    out: list[Entity] = []
    months = sorted(rng.sample(ctx.months, rng.randint(1, 4)))
    for n, (y, m) in enumerate(months):
        value = value_term(rng, unit, 6)
        e = observation(key, j, n, measure, topic, value)
        e.labels(
            f"{topic[0]}の{measure[0]} {value[1]}（{y}年{m}月時点）",
            f"{measure[1].capitalize()} of {topic[1]} {value[2]} (as of {calendar.month_name[m]} {y})",
        )
        e.add("dakg:observationKind", "observationkind:actual")
        if rng.random() < 0.5:
            e.add("dakg:asOf", month_lit(y, m))
        else:
            e.add("dakg:asOf", date_lit(y, m, rng.randint(1, last_day(y, m))))
        if rng.random() < 0.3:
            e.add("dakg:valueQualifier", "valuequalifier:approximately")
        if unit != "percent" and rng.random() < 0.3:
            e.add("dakg:cumulative", "true")
        if rng.random() < 0.2:
            e.add("dakg:note", literal(f"※ {measure[0]}：{y}年{m}月時点。", "ja"))
        e.add("dakg:wording", literal(f"{value[1]} {topic[0]}の{measure[0]}", "ja"))
        out.append(e)
    if len(months) > 1:
        (y0, m0), (y1, m1) = months[0], months[-1]
        value = value_term(rng, unit, 5)
        e = observation(key, j, len(months), measure, topic, value)
        e.labels(
            f"{topic[0]}の{measure[0]} +{value[1]}（{y0}年{m0}月～{y1}年{m1}月）",
            f"{measure[1].capitalize()} of {topic[1]} +{value[2]} ({y0}-{m0:02d} to {y1}-{m1:02d})",
        )
        e.add("dakg:observationKind", "observationkind:change")
        e.add("dakg:periodStart", month_lit(y0, m0)).add("dakg:periodEnd", month_lit(y1, m1))
        e.add("dakg:wording", literal(f"+ {value[1]} {topic[0]}の{measure[0]}", "ja"))
        out.append(e)
    return out


def make_target(ctx: Context, key: str, j: int, measure, topic, index: int) -> list[Entity]:
    """A target for a fiscal year and the milestone that states it (700件（2022年度）)."""
    rng = ctx.rng
    fy = rng.choice(FISCAL_YEARS)
    value = value_term(rng, measure[2], 6)
    obs = observation(key, j, 100 + index, measure, topic, value)
    obs.labels(
        f"目標 {topic[0]}の{measure[0]} {value[1]}（{fy}年度）",
        f"Target: {measure[1]} of {topic[1]} {value[2]} (FY{fy})",
    )
    obs.add("dakg:observationKind", "observationkind:target")
    obs.add("dakg:referencePeriod", f"fiscalyear:{fy}")
    obs.add("dakg:wording", literal(f"{value[1]}（{fy}年度）", "ja"))
    ms = Entity(f"milestone:{key}-target-m{j}-{index}", ["dakg:Milestone"])
    ms.labels(
        f"{topic[0]}の{measure[0]} {value[1]}（{fy}年度）",
        f"{measure[1].capitalize()} of {topic[1]} {value[2]} (FY{fy})",
    )
    ms.add("dcterms:source", section_of(key)).add("dakg:initiative", f"initiative:{key}")
    timing(ms, "during", f"fiscalyear:{fy}", (fy, 4, 1), (fy + 1, 3, 31))
    ms.add("dakg:target", obs.subject)
    ms.add("dakg:wording", literal(f"{value[1]}（{fy}年度）", "ja"))
    return [ms, obs]


def make_standard(ctx: Context, key: str, k: int, topic) -> Entity:
    rng = ctx.rng
    kind = rng.choice(STANDARD_KINDS)
    e = Entity(f"standard:{key}-s{k}", ["dakg:Standard"])
    e.labels(f"{topic[0]}の{kind[0]}", f"{topic[1].capitalize()} {kind[1]} ({key} {k})")
    e.add("dcterms:source", section_of(key))
    y, m = rng.choice(ctx.months)
    e.add("dcterms:issued", date_lit(y, m, rng.randint(1, last_day(y, m))))
    e.add("dakg:description", literal(f"{topic[0]}に関する{kind[0]}", "ja"))
    if ctx.standards and rng.random() < 0.4:
        # Build on one of the recent standards, so basedOn forms chains a few steps long.
        e.add("dakg:basedOn", rng.choice(ctx.standards[-20:]))
    ctx.standards.append(e.subject)
    return e


def make_system(ctx: Context, key: str, k: int, topic) -> Entity:
    kind = ctx.rng.choice(SYSTEM_KINDS)
    types = ["dakg:System"] + (["dakg:DigitalService"] if ctx.rng.random() < 0.3 else [])
    e = Entity(f"system:{key}-{k}", types)
    e.labels(f"{topic[0]}{kind[0]}", f"{topic[1].capitalize()} {kind[1]} ({key} {k})")
    return e.add("dcterms:source", section_of(key))


def make_event(ctx: Context, key: str, topic) -> Entity:
    rng = ctx.rng
    y, m = rng.choice(ctx.months)
    d = rng.randint(1, last_day(y, m) - 1)
    e = Entity(f"event:{key}-briefing", ["dakg:Event"])
    e.labels(
        f"{topic[0]}説明会（{y}年{m}月）", f"Briefing on {topic[1]} ({calendar.month_name[m]} {y})"
    )
    e.add("dcterms:source", section_of(key)).add("dakg:initiative", f"initiative:{key}")
    e.add("dakg:date", date_lit(y, m, d))
    if rng.random() < 0.3:
        e.add("dakg:endDate", date_lit(y, m, d + 1))
    e.add("dakg:wording", literal(f"{topic[0]}に関する説明会を開催（{y}年{m}月{d}日）", "ja"))
    return e


def make_initiative(ctx: Context, number: int) -> list[Entity]:
    """One synthetic initiative and everything its file holds."""
    rng = ctx.rng
    key = f"syn-{number:06d}"
    topic = rng.choice(TOPICS)
    action = rng.choice(ACTIONS)
    pillar_key, pillar_no, _ = rng.choices(PILLARS, weights=[w for *_, w in PILLARS])[0]
    ja = f"{topic[0]}の{action[0]}（合成{number}）"
    en = f"{action[1]} {topic[1]} (synthetic {number})"
    entities = [make_section(key, number, pillar_no, ja, en)]
    init = Entity(f"initiative:{key}", ["dakg:Initiative"]).labels(ja, en)
    init.add("dcterms:source", section_of(key)).add("dakg:number", str(number))
    init.add("dakg:pillar", f"pillar:{pillar_key}").add("dakg:leadAgency", "agency:digital-agency")
    partners = rng.sample(ctx.agencies, rng.randint(0, 4))
    init.add("dakg:partnerAgency", *(f"agency:{a}" for a in partners))
    init.add("dakg:tagline", literal(f"{topic[0]}をもっと身近に。", "ja"))
    init.add(
        "dakg:aim",
        literal(f"{topic[0]}の{action[0]}により、誰もが便利に使える仕組みをつくります", "ja"),
    )
    init.add(
        "dakg:background", literal(f"{topic[0]}は制度やシステムごとに分かれていました。", "ja")
    )
    init.add("dakg:resultsHeadline", literal(f"{topic[0]}の{action[0]}が進展", "ja"))
    init.add(
        "dakg:resultsSummary",
        literal(f"{topic[0]}について、関係機関と連携して取組を進めました。", "ja"),
    )
    for k in range(rng.randint(1, 2)):
        system = make_system(ctx, key, k, topic)
        init.add("dakg:system", system.subject)
        entities.append(system)
    for k in range(rng.choice((0, 1, 1, 2))):
        standard = make_standard(ctx, key, k, topic)
        init.add("dakg:standard", standard.subject)
        entities.append(standard)
    entities.append(init)
    for index in range(rng.randint(3, 8)):
        entities.append(make_milestone(ctx, key, index, topic))
    for j, measure in enumerate(rng.sample(MEASURES, rng.randint(1, 4))):
        entities.append(make_indicator(key, j, measure, topic))
        entities.extend(make_series(ctx, key, j, measure, topic))
        if rng.random() < 0.4:
            entities.extend(make_target(ctx, key, j, measure, topic, 0))
    if rng.random() < 0.5:
        entities.append(make_event(ctx, key, topic))
    return entities


def make_agencies(rng: random.Random, count: int) -> list[Entity]:
    """Synthetic partner agencies (a public-bodies list grows with the number of initiatives)."""
    out = []
    for n in range(1, count + 1):
        field_ja, field_en = AGENCY_FIELDS[n % len(AGENCY_FIELDS)]
        e = Entity(f"agency:syn-agency-{n:04d}", ["dakg:Agency"])
        e.labels(f"{field_ja}デジタル推進機構{n}", f"{field_en} Digital Promotion Organisation {n}")
        out.append(e.add("dcterms:source", f"{SECTION}pillar-{1 + n % 3}"))
    return out


def fingerprint(source: Path = ROOT) -> str:
    """A digest of what the output depends on: this generator, the ontology and the shared files."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in [source / "ontology/dakg.ttl"] + [source / "data/ttl" / n for n in SHARED_FILES]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def count_triples(path: Path) -> int:
    """Triples in a Turtle file (parsed with pyoxigraph)."""
    import pyoxigraph as ox

    return sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def real_months(time_ttl: Path) -> tuple[tuple[int, int], ...]:
    """The calendar months time.ttl defines (a milestone may refer only to those)."""
    found = re.findall(r"^month:(\d{4})-(\d{2})$", time_ttl.read_text(encoding="utf-8"), re.M)
    return tuple((int(y), int(m)) for y, m in found)


def prepare_folder(out: Path, source: Path) -> int:
    """Lay out the project folder with the shared files; returns their triple count."""
    if out.exists():
        shutil.rmtree(out)
    (out / "ontology").mkdir(parents=True)
    (out / "data/ttl/initiatives").mkdir(parents=True)
    shutil.copyfile(source / "ontology/dakg.ttl", out / "ontology/dakg.ttl")
    for name in ("queries", "shapes"):
        if (source / name).exists():
            (out / name).symlink_to((source / name).resolve(), target_is_directory=True)
    triples = count_triples(out / "ontology/dakg.ttl")
    for name in SHARED_FILES:
        shutil.copyfile(source / "data/ttl" / name, out / "data/ttl" / name)
        triples += count_triples(out / "data/ttl" / name)
        triples -= drop_links_out(out / "data/ttl" / name)
    return triples


# What the shared files say of the report's own initiatives and references, which a synthetic
# project does not hold: the links are left out of its copies.
LINKS_OUT = ("dakg:hasInitiative", "dakg:describedBy")


def drop_links_out(path: Path) -> int:
    """Drop LINKS_OUT from a file in the canonical layout; returns how many triples went."""
    import pyoxigraph as ox

    kept: list[str] = []
    dropped, inside = 0, False
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        words = line.split()
        if not inside and words and words[0] in LINKS_OUT:
            if len(words) == 1:  # the objects follow, one a line
                inside = True
                continue
            dropped, end = dropped + 1, words[-1]
        elif inside:
            dropped, end = dropped + 1, words[-1]
            inside = end == ","
            if inside:
                continue
        else:
            kept.append(line)
            continue
        if end == ".":  # the statement ends with what was dropped: end it on the line before
            kept[-1] = kept[-1].rstrip().removesuffix(";").rstrip() + " .\n"
    path.write_text("".join(kept), encoding="utf-8")
    list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))  # still Turtle
    return dropped


def initiatives(ctx: Context, budget: int) -> Iterator[tuple[int, list[Entity]]]:
    """Initiatives, numbered from 1, until their triples reach the budget."""
    used, number = 0, 0
    while used < budget:
        number += 1
        entities = make_initiative(ctx, number)
        used += sum(e.triples for e in entities)
        yield number, entities


def generate(out: Path, triples: int, seed: int = 8, source: Path = ROOT) -> dict:
    """Write a synthetic project of about `triples` triples to `out`; returns its manifest."""
    base = prepare_folder(out, source)
    rng = random.Random(seed)
    n_agencies = max(8, (triples - base) // TRIPLES_PER_INITIATIVE // 10)
    agencies = make_agencies(rng, n_agencies)
    (out / "data/ttl/syn-agencies.ttl").write_text(document(agencies), encoding="utf-8")
    total = base + sum(e.triples for e in agencies)
    ctx = Context(
        rng=rng,
        months=real_months(out / "data/ttl/time.ttl"),
        agencies=list(REAL_PARTNERS) + [e.subject.split(":", 1)[1] for e in agencies],
    )
    count = 0
    for number, entities in initiatives(ctx, triples - total):
        path = out / f"data/ttl/initiatives/syn-{number:06d}.ttl"
        path.write_text(document(entities), encoding="utf-8")
        total += sum(e.triples for e in entities)
        count = number
    manifest = {
        "triples": total,
        "requested": triples,
        "seed": seed,
        "initiatives": count,
        "agencies": n_agencies,
        "generator": GENERATOR_VERSION,
        "fingerprint": fingerprint(source),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def parse_size(text: str) -> int:
    """10k, 100k, 1M or a plain number."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 10k, 100k, 1M)")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match[2].lower()]
    return int(float(match[1]) * factor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=parse_size, default=parse_size("10k"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.triples, args.seed)
    print(json.dumps(manifest), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
