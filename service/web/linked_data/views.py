"""HTML pages of entities, indexes, the home page and the ontology, in Japanese or English.

Pages are Jinja2 templates (service/web/templates/, autoescape on) filled from small view models
built here; every label and value passes through the template's escaping. Pages need no
JavaScript and no inline style, so they are served under a strict Content-Security-Policy.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
import pyoxigraph as ox
from dakg.packaged import web_files
from dakg.rdf.namespaces import (
    ADMS,
    DAKG,
    DCTERMS,
    ELI,
    IC,
    NUMERIC_DATATYPES,
    OWL,
    PUBLIC_BASE,
    RDF,
    RDF_TYPE,
    RDFS,
    RDFS_LABEL,
    SH,
    SKOS,
    TIME,
    VANN,
    VOCABULARY_PREFIXES,
    XSD,
    canonical_prefixes,
    curie,
)
from dakg.web import conneg, deps
from dakg.web.conneg import LANGS
from dakg.web.linked_data.describe import (
    Catalogue,
    Describer,
    Description,
    Shape,
    ShapeConstraint,
    Term,
    VocabularyTerm,
    owned,
)
from dakg.web.linked_data.diagram import Arrow, Box
from dakg.web.linked_data.diagram import render as render_diagram
from dakg.web.linked_data.guide import render as render_guide
from markupsafe import Markup

TEMPLATES = web_files("templates")

# The words of the pages themselves, in both languages.
UI: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "site": ("デジタル庁活動知識グラフ", "Digital Agency activity knowledge graph"),
        "home": ("ホーム", "Home"),
        "ontology": ("語彙", "Vocabulary"),
        "sparql": ("SPARQL", "SPARQL"),
        "sparql_title": ("SPARQLで問い合わせる", "Query with SPARQL"),
        "sparql_intro": (
            "このページのエンドポイントにSPARQL 1.1で問い合わせます。保存された問合せから始めるか、自分で書いてください。接頭辞（dakg: など）は宣言しなくても使えます。",
            "Ask this endpoint in SPARQL 1.1: start from a saved query or write your own. Our prefixes (dakg: and the rest) need no PREFIX line.",
        ),
        "saved_queries": ("保存された問合せ", "Saved queries"),
        "choose_example": ("— 問合せを選ぶ —", "— choose a saved query —"),
        "share_link": ("この問合せへのリンク", "Link to this query"),
        "recent_queries": ("最近の問合せ", "Recent queries"),
        "choose_recent": ("— 最近の問合せを選ぶ —", "— choose a recent query —"),
        "endpoint_note": (
            "SPARQL 1.1 Protocol: このアドレスに query を GET または POST してください。",
            "SPARQL 1.1 Protocol endpoint: GET or POST query to this address.",
        ),
        "noscript_query": (
            "スクリプトなしでも問い合わせられます（結果はJSONで返ります）。",
            "Without scripts you can still ask (the answer comes as JSON).",
        ),
        "run": ("実行", "Run"),
        "downloads": ("ダウンロード", "Downloads"),
        "entities": ("実体一覧", "Entities"),
        "api": ("API", "API"),
        "api_docs": ("REST APIの説明", "The REST API"),
        "downloads_intro": (
            "グラフ全体を一つのファイルで。形式ごとに同じ内容です。",
            "The whole graph in one file, the same in every format.",
        ),
        "dataset_version": ("データセットの版", "Dataset version"),
        "file": ("ファイル", "File"),
        "format": ("形式", "Format"),
        "size": ("大きさ", "Size"),
        "checksum_note": (
            "ダウンロードしたファイルはSHA-256で確かめられます:",
            "Check a downloaded file against its SHA-256:",
        ),
        "api_docs_intro": (
            "保存された問合せをJSON・CSVで返すREST APIです。各経路を開いて、その場で試せます。機械向けの説明はOpenAPI文書にあります。",
            "The saved queries as a REST API answering in JSON or CSV. Open a route to read it and try it here; the machine-readable description is the OpenAPI document.",
        ),
        "search": ("検索", "Search"),
        "search_label": ("ラベル・別名・キーで検索", "Search labels, other names and keys"),
        "search_placeholder": ("例: マイナ、cloud", "e.g. マイナ, cloud"),
        "search_found": ("見つかった件数", "Found"),
        "search_shown": ("件を表示", "shown"),
        "search_none": ("該当するものはありません。", "Nothing matches."),
        "search_matched": ("一致した名前", "Matched"),
        "language": ("言語", "Language"),
        "type": ("種類", "Type"),
        "iri": ("IRI", "IRI"),
        "properties": ("プロパティ", "Properties"),
        "property": ("プロパティ", "Property"),
        "value": ("値", "Value"),
        "values": ("値", "Values"),
        "figures": ("数値", "Figures"),
        "figure": ("数値", "Figure"),
        "unit": ("単位", "Unit"),
        "as_of": ("時点・期間", "As of / period"),
        "kind": ("種別", "Kind"),
        "wording": ("報告書の文言", "The report's wording"),
        "note": ("注記", "Note"),
        "source": ("出典", "Source"),
        "sources": ("出典（報告書の章節）", "Source (report section)"),
        "milestones": ("今後の予定", "Milestones"),
        "milestone": ("予定", "Milestone"),
        "when": ("時期", "When"),
        "target": ("目標値", "Target"),
        "events": ("出来事", "Events"),
        "event": ("出来事", "Event"),
        "date": ("日付", "Date"),
        "identifiers": ("公的な識別子", "Official identifiers"),
        "scheme": ("体系", "Scheme"),
        "identifier": ("識別子", "Identifier"),
        "issuer": ("付番機関", "Issued by"),
        "incoming": ("この実体を参照しているもの", "What links here"),
        "linked_from": ("参照元", "Linked from"),
        "page": ("頁", "Page"),
        "of": ("／", "of"),
        "next": ("次へ", "Next"),
        "previous": ("前へ", "Previous"),
        "formats": ("この記述のダウンロード", "This description in other formats"),
        "query": ("同じ記述を返すSPARQL", "The SPARQL that returns this description"),
        "query_intro": (
            "この頁の記述は次の問合せの結果を合わせたものです。",
            "This page's description is the union of the answers to these queries.",
        ),
        "query-describe": (
            "実体について述べられていることすべて",
            "Everything said about the entity",
        ),
        "query-linked": ("リンク先のラベルと種類", "The labels and types of what it links to"),
        "query-incoming": ("この実体へのリンク", "What links to it"),
        "run_query": ("SPARQLエンドポイントで実行", "Run at the SPARQL endpoint"),
        "about": ("このデータセットについて", "About this dataset"),
        "about_text": (
            "デジタル庁「活動報告書」（2021年9月〜2022年8月）の取組、組織、標準、法令、予定、数値を、"
            "出典となる章節とともにリンクトデータとして公開しています。",
            "The initiatives, organisations, standards, laws, milestones and figures of the Digital "
            "Agency's activity report (September 2021 to August 2022) as linked data, each fact with "
            "the report section it comes from.",
        ),
        "triples": ("トリプル数", "Triples"),
        "version": ("データ版", "Data version"),
        "counts": ("種類ごとの実体数", "Entities by type"),
        "count": ("件数", "Count"),
        "pillars": ("3つの柱と取組", "The three pillars and their initiatives"),
        "use": ("使い方", "Use it"),
        "use_sparql": ("SPARQLで問い合わせる", "Query it with SPARQL"),
        "use_downloads": ("一括ダウンロード", "Download the whole graph"),
        "use_api": ("REST API（保存された問合せ）", "The REST API of saved queries"),
        "use_pictures": (
            "図（予定の時期、指標のグラフ）",
            "Pictures: the timeline and indicator charts",
        ),
        "use_ontology": ("語彙（オントロジー）", "The vocabulary (ontology)"),
        "use_context": ("JSON-LDコンテキスト", "The JSON-LD context"),
        "index_of": ("一覧", "index"),
        "classes": ("クラス", "Classes"),
        "datatypes": ("データ型", "Datatypes"),
        "label_ja": ("ラベル（日本語）", "Label (Japanese)"),
        "label_en": ("ラベル（英語）", "Label (English)"),
        "definition_ja": ("定義（日本語）", "Definition (Japanese)"),
        "definition_en": ("定義（英語）", "Definition (English)"),
        "superclasses": ("上位クラス", "Subclass of"),
        "superproperties": ("上位プロパティ", "Subproperty of"),
        "align_imi": ("共通語彙基盤（IC）との対応", "Alignment to IC"),
        "align_intl": ("国際的な語彙との対応", "Alignment to international vocabularies"),
        "domain": ("定義域", "Domain"),
        "range": ("値域", "Range"),
        "shapes": ("適用されるSHACLシェイプ", "SHACL shapes that apply"),
        "no_shapes": ("適用されるシェイプはありません。", "No shape applies."),
        "shape": ("シェイプ", "Shape"),
        "path": ("パス", "Path"),
        "cardinality": ("出現回数", "Cardinality"),
        "constraint": ("制約", "Constraint"),
        "severity": ("重大度", "Severity"),
        "message": ("メッセージ", "Message"),
        "instances": ("インスタンス数", "Instances"),
        "model": ("モデルの図", "The model"),
        "model_text": (
            "クラスを箱、クラスの間のオブジェクトプロパティを矢印で示します。"
            "図は語彙とSHACLシェイプから生成されます。箱を選ぶとそのクラスの説明に移ります。",
            "Classes are boxes and the object properties between them arrows. The picture is "
            "generated from the vocabulary and the SHACL shapes; a box links to its class.",
        ),
        "prefixes": ("接頭辞（PREFIX）", "Prefixes"),
        "prefixes_text": (
            "このサイトが使う接頭辞です。SPARQLの問合せの先頭に貼り付けてください。",
            "The prefixes this site publishes, to paste at the top of a SPARQL query.",
        ),
        "copy": ("コピー", "Copy"),
        "copied": ("コピーしました", "Copied"),
        "class_properties": ("プロパティ", "Properties"),
        "property_curie": ("プロパティ", "Property"),
        "external": ("外部の語彙", "other vocabulary"),
        "examples": ("問合せの例", "Example queries"),
        "external_properties": ("他の語彙のプロパティ", "Properties of other vocabularies"),
        "external_text": (
            "このデータが使う他の語彙のプロパティと、それを使うクラスです。",
            "The properties of other vocabularies the data uses, with the classes that use them.",
        ),
        "used_by": ("使うクラス", "Used by"),
        "dates": ("日付のモデル", "How dates work"),
        "modelling": ("モデル化の手引き", "The modelling guide"),
        "modelling_link": (
            "報告書の記述をRDFにする規則（data/README.md）",
            "How the report's wording becomes RDF (data/README.md)",
        ),
        "term_in": ("語彙全体での説明", "In the whole vocabulary"),
        "namespace": ("名前空間", "Namespace"),
        "prefix": ("推奨接頭辞", "Preferred prefix"),
        "licence": ("ライセンス", "Licence"),
        "not_found": ("見つかりません", "Not found"),
        "not_found_text": (
            "このIRIはこのデータセットにありません。",
            "This IRI is not described in this dataset.",
        ),
        "pictures": ("図", "Pictures"),
        "timeline": ("予定の時期", "Timeline of the planned items"),
        "gone": ("廃止されました", "Gone"),
        "gone_text": (
            "このIRIは廃止され、後継はありません。廃止前の記述を以下に示します。",
            "This IRI has been deprecated and has no replacement. What it was is shown below.",
        ),
        "error": ("要求を処理できません", "The request cannot be answered"),
        "deprecated": ("廃止", "Deprecated"),
        "approximately": ("約", "approx."),
        "yes": ("はい", "yes"),
        "no": ("いいえ", "no"),
        "ja": ("日本語", "日本語"),
        "en": ("English", "English"),
        "footer": (
            "データは報告書に基づきます。",
            "The data is transcribed from the report.",
        ),
    }
)

# Labels for the terms of other vocabularies the data uses (the ontology labels its own terms).
EXTERNAL_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        RDF_TYPE: ("種類", "type"),
        RDF + "first": ("先頭", "first"),
        RDF + "rest": ("残り", "rest"),
        RDFS_LABEL: ("ラベル", "label"),
        RDFS + "comment": ("注釈", "comment"),
        RDFS + "seeAlso": ("参照", "see also"),
        RDFS + "subClassOf": ("上位クラス", "subclass of"),
        RDFS + "subPropertyOf": ("上位プロパティ", "subproperty of"),
        RDFS + "domain": ("定義域", "domain"),
        RDFS + "range": ("値域", "range"),
        RDFS + "Class": ("クラス", "class"),
        RDFS + "Datatype": ("データ型", "datatype"),
        SKOS + "definition": ("定義", "definition"),
        SKOS + "prefLabel": ("優先ラベル", "preferred label"),
        SKOS + "altLabel": ("別名", "alternative label"),
        SKOS + "notation": ("表記", "notation"),
        SKOS + "inScheme": ("所属する体系", "in scheme"),
        SKOS + "topConceptOf": ("最上位概念として属する体系", "top concept of"),
        SKOS + "hasTopConcept": ("最上位概念", "top concept"),
        SKOS + "broader": ("上位概念", "broader"),
        SKOS + "closeMatch": ("近い概念", "close match"),
        SKOS + "exactMatch": ("同じ概念", "exact match"),
        SKOS + "Concept": ("概念", "concept"),
        SKOS + "ConceptScheme": ("概念体系", "concept scheme"),
        DCTERMS + "source": ("出典", "source"),
        DCTERMS + "isPartOf": ("所属", "part of"),
        DCTERMS + "hasPart": ("構成部分", "has part"),
        DCTERMS + "title": ("題名", "title"),
        DCTERMS + "issued": ("発行日", "issued"),
        DCTERMS + "modified": ("更新日", "modified"),
        DCTERMS + "publisher": ("発行者", "publisher"),
        DCTERMS + "creator": ("作成者", "creator"),
        DCTERMS + "license": ("ライセンス", "licence"),
        DCTERMS + "temporal": ("対象期間", "temporal coverage"),
        DCTERMS + "language": ("言語", "language"),
        DCTERMS + "isReplacedBy": ("後継", "replaced by"),
        DCTERMS + "replaces": ("前身", "replaces"),
        DCTERMS + "conformsTo": ("準拠する標準", "conforms to"),
        DCTERMS + "relation": ("関連", "related to"),
        DCTERMS + "description": ("説明", "description"),
        DCTERMS + "date": ("日付", "date"),
        OWL + "sameAs": ("同一の実体", "same as"),
        OWL + "deprecated": ("廃止", "deprecated"),
        OWL + "versionInfo": ("版", "version"),
        OWL + "versionIRI": ("版のIRI", "version IRI"),
        OWL + "onDatatype": ("基にするデータ型", "on datatype"),
        OWL + "withRestrictions": ("制約", "restrictions"),
        OWL + "Class": ("クラス", "class"),
        OWL + "ObjectProperty": ("オブジェクトプロパティ", "object property"),
        OWL + "DatatypeProperty": ("データ型プロパティ", "datatype property"),
        OWL + "AnnotationProperty": ("注釈プロパティ", "annotation property"),
        OWL + "Ontology": ("オントロジー", "ontology"),
        ADMS + "identifier": ("識別子", "identifier"),
        ADMS + "schemaAgency": ("付番機関", "scheme agency"),
        ADMS + "Identifier": ("識別子", "identifier"),
        ELI + "id_local": ("e-Gov 法令ID", "e-Gov law ID"),
        TIME + "hasBeginning": ("開始", "beginning"),
        TIME + "hasEnd": ("終了", "end"),
        TIME + "inXSDDate": ("日付", "date"),
        TIME + "Instant": ("時点", "instant"),
        TIME + "ProperInterval": ("期間", "interval"),
        VANN + "preferredNamespacePrefix": ("推奨接頭辞", "preferred prefix"),
        VANN + "preferredNamespaceUri": ("名前空間", "namespace"),
        XSD + "pattern": ("パターン", "pattern"),
        RDF + "langString": ("言語タグ付き文字列", "language-tagged string"),
        SH + "Violation": ("違反", "violation"),
        SH + "Warning": ("警告", "warning"),
        SH + "Info": ("情報", "info"),
        SH + "IRI": ("IRI", "IRI"),
        SH + "BlankNode": ("空白ノード", "blank node"),
        SH + "Literal": ("リテラル", "literal"),
        SH + "BlankNodeOrIRI": ("空白ノードまたはIRI", "blank node or IRI"),
        SH + "IRIOrLiteral": ("IRIまたはリテラル", "IRI or literal"),
        SH + "BlankNodeOrLiteral": ("空白ノードまたはリテラル", "blank node or literal"),
    }
)

# SHACL parameters shown as words in the shapes tables (sh:name → (ja, en)).
SHAPE_PARAMETERS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "pattern": ("パターン", "pattern"),
        "languageIn": ("言語", "language in"),
        "in": ("値の候補", "one of"),
        "or": ("いずれかに適合", "conforms to one of"),
        "and": ("すべてに適合", "conforms to all of"),
        "xone": ("一つだけに適合", "conforms to exactly one of"),
        "not": ("適合しない", "does not conform to"),
        "hasValue": ("値", "has value"),
        "minInclusive": ("最小値", "at least"),
        "maxInclusive": ("最大値", "at most"),
        "minExclusive": ("下限（含まない）", "more than"),
        "maxExclusive": ("上限（含まない）", "less than"),
        "minLength": ("最小長", "min length"),
        "maxLength": ("最大長", "max length"),
        "lessThan": ("より小さい", "less than"),
        "lessThanOrEquals": ("以下", "at most the value of"),
        "equals": ("等しい", "equals"),
        "disjoint": ("重ならない", "disjoint with"),
        "uniqueLang": ("言語ごとに一つ", "unique language"),
        "closed": ("閉じた形", "closed"),
        "sparql": ("SPARQL制約", "SPARQL constraint"),
    }
)

# Where an entity's definition-style description is taken from, in order of preference.
SUMMARY_PROPERTIES = (
    SKOS + "definition",
    DAKG + "aim",
    DAKG + "description",
    RDFS + "comment",
    DAKG + "resultsSummary",
)
# Properties shown first in the properties table, in this order.
LEADING_PROPERTIES = (RDF_TYPE, RDFS_LABEL, SKOS + "altLabel", DAKG + "number")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Text:
    """Words to show, with the language they are in (None for codes and numbers)."""

    text: str
    lang: str | None = None
    code: bool = False
    datetime: str | None = None


@dataclass(frozen=True)
class Link:
    """A label that may link somewhere (href None: shown as text)."""

    text: Text
    href: str | None = None
    iri: str | None = None


@dataclass(frozen=True)
class Value:
    """One value in a properties table: a link, a literal, or a blank node with its own rows."""

    link: Link | None = None
    text: Text | None = None
    rows: tuple[Row, ...] = ()
    datatype: Text | None = None


@dataclass(frozen=True)
class Row:
    """One property with its values."""

    property: Link
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Locale:
    """One request's language and how to make links from it."""

    lang: str
    explicit: bool
    root: str
    base_iri: str
    path: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def other(self) -> str:
        return "en" if self.lang == "ja" else "ja"

    def t(self, key: str) -> str:
        """A word of the page in the page language."""
        ja, en = UI[key]
        return ja if self.lang == "ja" else en

    def local(self, path: str, **params: str | int) -> str:
        """A link to a path of this service, keeping an explicitly chosen language."""
        query = {k: str(v) for k, v in params.items()}
        if self.explicit:
            query.setdefault("lang", self.lang)
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.root}{path}{suffix}"

    def href(self, iri: str) -> str | None:
        """Where a link to an IRI goes: our paths for our IRIs, the IRI for other web IRIs."""
        if iri.startswith(self.base_iri):
            rest = iri[len(self.base_iri) :]
            if rest.startswith(("id/", "def/")):
                return self.local("/" + quote(rest, safe="/-_.~"))
            return None
        if iri.startswith(("http://", "https://")):
            return iri
        return None

    def switch(self, lang: str) -> str:
        """This page in another language."""
        query = dict(self.params)
        query["lang"] = lang
        return f"{self.root}{self.path}?{urlencode(query)}"


@dataclass(frozen=True)
class Download:
    """A link to this description in one format."""

    label: str
    href: str
    media_type: str


@dataclass(frozen=True)
class QueryLink:
    """A query that returns part of a description, with a link to run it."""

    name: str
    title: str
    text: str
    href: str


def compact(iri: str) -> str:
    """prefix:local for an IRI in a known namespace, else the IRI."""
    return curie(iri, canonical_prefixes() | {"shapes": PUBLIC_BASE + "shapes/"}) or iri


def prefix_block() -> str:
    """Every prefix the pages publish, as SPARQL PREFIX lines (the vocabularies, then by name)."""
    prefixes = canonical_prefixes()
    names = sorted(prefixes, key=lambda p: (p not in VOCABULARY_PREFIXES, p))
    return "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in names)


def format_number(text: str) -> str:
    """A decimal number with thousands separators; other text unchanged."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    sign = "-" if number < 0 else ""
    whole, _, fraction = str(abs(number)).partition(".")
    if not whole.isdigit():
        return text
    return f"{sign}{int(whole):,}" + (f".{fraction}" if fraction else "")


def format_date(text: str, datatype: str, lang: str) -> str:
    """A date, year-month or year as people write it in the language."""
    try:
        if datatype == XSD + "date":
            day = dt.date.fromisoformat(text)
            if lang == "ja":
                return f"{day.year}年{day.month}月{day.day}日"
            return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        if datatype == XSD + "gYearMonth":
            year, month = (int(p) for p in text.split("-")[:2])
            return f"{year}年{month}月" if lang == "ja" else f"{MONTHS[month - 1]} {year}"
        if datatype == XSD + "gYear":
            return f"{int(text)}年" if lang == "ja" else str(int(text))
    except (ValueError, IndexError):
        return text
    return text


DATES = {XSD + "date", XSD + "gYearMonth", XSD + "gYear"}


@dataclass(frozen=True)
class Pages:
    """Builds and renders the pages of one dataset."""

    env: jinja2.Environment
    catalogue: Catalogue
    describer: Describer

    @classmethod
    def create(cls, catalogue: Catalogue, describer: Describer) -> Pages:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        return cls(env, catalogue, describer)

    # -- words -------------------------------------------------------------------------------

    def label(self, iri: str, lang: str) -> Text:
        """The label of an IRI in the language, else in the other, else its compact IRI."""
        labels = self.catalogue.labels.get(iri, {})
        for choice in (lang, "en" if lang == "ja" else "ja", ""):
            if choice in labels:
                return Text(labels[choice], choice or None)
        if iri in EXTERNAL_LABELS:
            ja, en = EXTERNAL_LABELS[iri]
            return Text(ja if lang == "ja" else en, lang)
        return Text(compact(iri), code=True)

    def link(self, iri: str, locale: Locale) -> Link:
        return Link(self.label(iri, locale.lang), locale.href(iri), iri)

    def literal(self, literal: ox.Literal, lang: str) -> Text:
        """A literal as text: numbers grouped, dates written out, language kept."""
        datatype = literal.datatype.value
        if literal.language:
            return Text(literal.value, literal.language)
        if datatype in NUMERIC_DATATYPES:
            return Text(format_number(literal.value))
        if datatype in DATES:
            return Text(format_date(literal.value, datatype, lang), lang, datetime=literal.value)
        if datatype == XSD + "boolean":
            yes = literal.value in ("true", "1")
            return Text(UI["yes" if yes else "no"][0 if lang == "ja" else 1], lang)
        return Text(literal.value)

    def text_in(self, values: Iterable[Term], lang: str) -> Text | None:
        """The literal in the language, else in any language."""
        literals = [v for v in values if isinstance(v, ox.Literal)]
        for choice in (lang, "en" if lang == "ja" else "ja"):
            for v in literals:
                if v.language == choice:
                    return Text(v.value, choice)
        return self.literal(literals[0], lang) if literals else None

    # -- building blocks -----------------------------------------------------------------------

    def value(self, term: Term, description: Description, locale: Locale, depth: int = 0) -> Value:
        if isinstance(term, ox.NamedNode) and not owned(term):
            return Value(link=self.link(term.value, locale))
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            shown = None
            if not term.language and not datatype.startswith((XSD, RDF)):
                shown = self.label(datatype, locale.lang)
            return Value(text=self.literal(term, locale.lang), datatype=shown)
        about = description.about(term)
        if not about or depth > 4:
            return Value(text=Text("[ ]", code=True))
        return Value(rows=tuple(self.rows(about, description, locale, depth + 1)))

    def rows(
        self,
        about: Mapping[str, list[Term]],
        description: Description,
        locale: Locale,
        depth: int = 0,
    ) -> list[Row]:
        """A properties table: leading properties first, then by label."""

        def order(predicate: str) -> tuple:
            lead = (
                LEADING_PROPERTIES.index(predicate)
                if predicate in LEADING_PROPERTIES
                else len(LEADING_PROPERTIES)
            )
            return (lead, self.label(predicate, locale.lang).text.lower(), predicate)

        rows = []
        for predicate in sorted(about, key=order):
            values = sorted(about[predicate], key=lambda v: self.value_order(v, locale.lang))
            rows.append(
                Row(
                    self.link(predicate, locale),
                    tuple(self.value(v, description, locale, depth) for v in values),
                )
            )
        return rows

    def value_order(self, term: Term, lang: str) -> tuple:
        if isinstance(term, ox.Literal):
            return (0, term.language != lang, term.language or "", term.value)
        if isinstance(term, ox.NamedNode):
            return (1, False, "", self.label(term.value, lang).text)
        return (2, False, "", str(term))

    def types(self, about: Mapping[str, list[Term]], locale: Locale) -> list[Link]:
        return [
            self.link(t.value, locale)
            for t in about.get(RDF_TYPE, [])
            if isinstance(t, ox.NamedNode)
        ]

    def summary(self, about: Mapping[str, list[Term]], lang: str) -> Text | None:
        for predicate in SUMMARY_PROPERTIES:
            text = self.text_in(about.get(predicate, []), lang)
            if text is not None:
                return text
        return None

    def identifiers(
        self, about: Mapping[str, list[Term]], description: Description, locale: Locale
    ) -> list[dict[str, Any]]:
        """Official identifiers: adms:identifier nodes, e-Gov law IDs, owl:sameAs and skos:exactMatch."""
        found = []
        for node in about.get(ADMS + "identifier", []):
            if isinstance(node, ox.Literal):
                continue
            inner = description.about(node)
            notation = next(
                (v for v in inner.get(SKOS + "notation", []) if isinstance(v, ox.Literal)), None
            )
            if notation is None:
                continue
            scheme = self.label(notation.datatype.value, locale.lang)
            agency = self.text_in(inner.get(ADMS + "schemaAgency", []), locale.lang)
            creators = [
                self.link(c.value, locale)
                for c in inner.get(DCTERMS + "creator", [])
                if isinstance(c, ox.NamedNode)
            ]
            found.append(
                {
                    "scheme": scheme,
                    "value": Text(notation.value),
                    "agency": agency,
                    "creators": creators,
                    "href": None,
                }
            )
        for value in about.get(ELI + "id_local", []):
            found.append(
                {
                    "scheme": self.label(ELI + "id_local", locale.lang),
                    "value": Text(value.value),
                    "agency": None,
                    "creators": [],
                    "href": None,
                }
            )
        for predicate in (OWL + "sameAs", SKOS + "exactMatch"):
            for value in about.get(predicate, []):
                if isinstance(value, ox.NamedNode):
                    found.append(
                        {
                            "scheme": self.label(predicate, locale.lang),
                            "value": Text(value.value, code=True),
                            "agency": None,
                            "creators": [],
                            "href": locale.href(value.value),
                        }
                    )
        return found

    def first(self, props: Mapping[str, list[Term]], predicate: str) -> Term | None:
        values = sorted(props.get(predicate, []), key=str)
        return values[0] if values else None

    def first_literal(self, props: Mapping[str, list[Term]], predicate: str) -> str | None:
        value = self.first(props, predicate)
        return value.value if isinstance(value, ox.Literal) else None

    def sources(self, props: Mapping[str, list[Term]], locale: Locale) -> list[Link]:
        return [
            self.link(s.value, locale)
            for s in sorted(props.get(DCTERMS + "source", []), key=str)
            if isinstance(s, ox.NamedNode)
        ]

    def maybe_link(
        self, props: Mapping[str, list[Term]], predicate: str, locale: Locale
    ) -> Link | None:
        value = self.first(props, predicate)
        return self.link(value.value, locale) if isinstance(value, ox.NamedNode) else None

    def when(self, props: Mapping[str, list[Term]], locale: Locale) -> list[Text]:
        """An observation's as-of date, period or reference period, written out."""
        parts = []
        as_of = self.first(props, DAKG + "asOf")
        if isinstance(as_of, ox.Literal):
            parts.append(self.literal(as_of, locale.lang))
        start, end = self.first(props, DAKG + "periodStart"), self.first(props, DAKG + "periodEnd")
        if isinstance(start, ox.Literal) or isinstance(end, ox.Literal):
            left = self.literal(start, locale.lang).text if isinstance(start, ox.Literal) else ""
            right = self.literal(end, locale.lang).text if isinstance(end, ox.Literal) else ""
            parts.append(Text(f"{left} – {right}".strip(), locale.lang))
        period = self.first(props, DAKG + "referencePeriod")
        if isinstance(period, ox.NamedNode):
            parts.append(self.label(period.value, locale.lang))
        return parts

    def figure(self, iri: str, props: Mapping[str, list[Term]], locale: Locale) -> dict[str, Any]:
        value = self.first(props, DAKG + "value")
        qualifier = self.first(props, DAKG + "valueQualifier")
        return {
            "link": self.link(iri, locale),
            "indicator": self.maybe_link(props, DAKG + "indicator", locale),
            "value": self.literal(value, locale.lang) if isinstance(value, ox.Literal) else None,
            "qualifier": self.label(qualifier.value, locale.lang)
            if isinstance(qualifier, ox.NamedNode)
            else None,
            "unit": self.maybe_link(props, DAKG + "unit", locale),
            "when": self.when(props, locale),
            "kind": self.maybe_link(props, DAKG + "observationKind", locale),
            "cumulative": self.first_literal(props, DAKG + "cumulative") == "true",
            "wording": self.text_in(props.get(DAKG + "wording", []), "ja"),
            "note": self.text_in(props.get(DAKG + "note", []), "ja"),
            "sources": self.sources(props, locale),
            "sort": (
                self.label(self.first(props, DAKG + "indicator").value, locale.lang).text
                if isinstance(self.first(props, DAKG + "indicator"), ox.NamedNode)
                else "",
                self.first_literal(props, DAKG + "asOf")
                or self.first_literal(props, DAKG + "periodEnd")
                or "",
                iri,
            ),
        }

    def milestone(
        self, iri: str, props: Mapping[str, list[Term]], locale: Locale
    ) -> dict[str, Any]:
        earliest = self.first(props, DAKG + "earliestDate")
        latest = self.first(props, DAKG + "latestDate")
        dates = [
            self.literal(d, locale.lang) for d in (earliest, latest) if isinstance(d, ox.Literal)
        ]
        qualifier = self.maybe_link(props, DAKG + "dateQualifier", locale)
        period = self.maybe_link(props, DAKG + "referencePeriod", locale)
        targets = [
            self.link(t.value, locale)
            for t in props.get(DAKG + "target", [])
            if isinstance(t, ox.NamedNode)
        ]
        return {
            "link": self.link(iri, locale),
            "qualifier": qualifier,
            "period": period,
            "earliest": self.literal(earliest, locale.lang)
            if isinstance(earliest, ox.Literal)
            else None,
            "latest": self.literal(latest, locale.lang) if isinstance(latest, ox.Literal) else None,
            "dated": bool(dates),
            "wording": self.text_in(props.get(DAKG + "wording", []), "ja"),
            "targets": targets,
            "sources": self.sources(props, locale),
            "sort": (
                not isinstance(latest, ox.Literal),
                latest.value if isinstance(latest, ox.Literal) else "",
                not isinstance(earliest, ox.Literal),
                earliest.value if isinstance(earliest, ox.Literal) else "",
                self.label(iri, locale.lang).text,
            ),
        }

    def event(self, iri: str, props: Mapping[str, list[Term]], locale: Locale) -> dict[str, Any]:
        date = self.first(props, DAKG + "date")
        end = self.first(props, DAKG + "endDate")
        return {
            "link": self.link(iri, locale),
            "date": self.literal(date, locale.lang) if isinstance(date, ox.Literal) else None,
            "end": self.literal(end, locale.lang) if isinstance(end, ox.Literal) else None,
            "types": [
                self.link(t.value, locale)
                for t in props.get(RDF_TYPE, [])
                if isinstance(t, ox.NamedNode)
            ],
            "wording": self.text_in(props.get(DAKG + "wording", []), "ja"),
            "sources": self.sources(props, locale),
            "sort": (date is None, date.value if isinstance(date, ox.Literal) else "", iri),
        }

    def linked_tables(
        self,
        description: Description,
        linked: Mapping[str, Mapping[str, list[Term]]],
        locale: Locale,
    ) -> dict[str, list[dict[str, Any]]]:
        """The figures, milestones and events that point to the entity (the entity itself if it
        is one), from what each linked item says (Describer.linked_items)."""
        iri = description.entity.value
        linked = {**linked, iri: description.about(description.entity)}
        tables: dict[str, list[dict[str, Any]]] = {}
        vocabulary = self.catalogue.vocabulary
        for key, cls, build in (
            ("figures", DAKG + "Observation", self.figure),
            ("milestones", DAKG + "Milestone", self.milestone),
            ("events", DAKG + "Event", self.event),
        ):
            rows = [
                build(item, props, locale)
                for item, props in linked.items()
                if vocabulary.is_a(self.iris(props.get(RDF_TYPE, [])), cls)
            ]
            tables[key] = sorted(rows, key=lambda r: r["sort"])
        return tables

    @staticmethod
    def iris(terms: Iterable[Term]) -> list[str]:
        return [t.value for t in terms if isinstance(t, ox.NamedNode)]

    def incoming(self, description: Description, locale: Locale) -> list[Row]:
        """The links on this page that point to the entity, by property."""
        grouped: dict[str, list[Term]] = defaultdict(list)
        for t in description.incoming():
            grouped[t.predicate.value].append(t.subject)
        return self.rows(grouped, description, locale)

    # -- shapes and terms ------------------------------------------------------------------------

    def constraint(self, constraint: ShapeConstraint, locale: Locale) -> dict[str, Any]:
        """One shape's or property shape's parameters, as a row people can read."""

        def one(name: str) -> str | None:
            values = constraint.values(name)
            return values[0].value if values else None

        def count(low: str | None, high: str | None) -> str:
            return f"{low or 0}..{high or '*'}" if (low or high) else ""

        cardinality = count(one("minCount"), one("maxCount"))
        qualified = count(one("qualifiedMinCount"), one("qualifiedMaxCount"))
        expects = [
            self.link(v.value, locale)
            for name in ("datatype", "class", "node", "nodeKind", "qualifiedValueShape")
            for v in constraint.values(name)
            if isinstance(v, ox.NamedNode)
        ]
        others = []
        for name, words in SHAPE_PARAMETERS.items():
            values = constraint.values(name)
            word = words[0 if locale.lang == "ja" else 1]
            if values and all(v.value == "true" for v in values if isinstance(v, ox.Literal)):
                others.append(Text(word, locale.lang))
            elif values:
                shown = ", ".join(self.term_text(v, locale.lang) for v in values)
                others.append(Text(f"{word} {shown}", locale.lang))
        severity = one("severity")
        message = self.text_in(constraint.values("message"), locale.lang)
        return {
            "path": self.path_link(constraint, locale),
            "cardinality": cardinality or qualified,
            "expects": expects,
            "others": others,
            "severity": self.label(severity, locale.lang) if severity else None,
            "message": message
            or self.text_in(constraint.parameters.get(RDFS + "comment", ()), locale.lang),
        }

    def path_link(self, constraint: ShapeConstraint, locale: Locale) -> Link | None:
        if constraint.path:
            return self.link(constraint.path, locale)
        text = constraint.path_text
        if text and text.startswith("^<") and text.endswith(">"):
            return Link(Text("^" + compact(text[2:-1]), code=True), locale.href(text[2:-1]))
        return Link(Text(text, code=True)) if text else None

    def term_text(self, term: Term, lang: str) -> str:
        """A term as short text: a label or compact IRI, a literal's value."""
        if isinstance(term, ox.NamedNode):
            return self.label(term.value, lang).text
        if isinstance(term, ox.Literal):
            return term.value
        return "[ ]"

    def shapes(
        self, shapes: Iterable[Shape], locale: Locale, only: str | None = None
    ) -> dict[str, Any]:
        """Shapes as one table of property constraints (one path's when `only`) and notes for the
        rest (closed shapes, SPARQL constraints, alternatives)."""
        rows, notes = [], []
        for shape in shapes:
            own_row = bool(shape.own.path or shape.own.path_text)
            constraints = ([shape.own] if own_row else []) + list(shape.properties)
            for constraint in constraints:
                if only is None or constraint.path == only:
                    rows.append(
                        {
                            "shape": compact(shape.iri),
                            "iri": shape.iri,
                            **self.constraint(constraint, locale),
                        }
                    )
            if not own_row:
                own = self.constraint(shape.own, locale)
                if own["message"] or own["others"]:
                    notes.append({"shape": compact(shape.iri), "iri": shape.iri, **own})
        rows.sort(key=lambda r: (r["path"].text.text if r["path"] else "", r["shape"]))
        return {"rows": rows, "notes": notes, "count": len({r["iri"] for r in rows + notes})}

    def term_view(self, term: VocabularyTerm, locale: Locale) -> dict[str, Any]:
        """A class, property or datatype as the ontology documents it."""
        aligned = [
            i
            for p in (
                RDFS + "subClassOf",
                SKOS + "closeMatch",
                SKOS + "exactMatch",
                OWL + "equivalentClass",
                RDFS + "subPropertyOf",
                OWL + "equivalentProperty",
            )
            for i in term.iris(p)
        ]
        ours = self.catalogue.vocabulary.namespace
        imi = [self.alignment(term, i, locale) for i in aligned if i.startswith(IC)]
        intl = [self.alignment(term, i, locale) for i in aligned if not i.startswith((IC, ours))]
        parents = [
            self.link(i, locale)
            for p in (RDFS + "subClassOf", RDFS + "subPropertyOf")
            for i in term.iris(p)
            if i.startswith(ours)
        ]
        if term.is_class:
            shapes = self.shapes(self.catalogue.shapes_for_class(term.iri), locale)
        else:
            shapes = self.shapes(self.catalogue.shapes_for_property(term.iri), locale, term.iri)
        labels, definitions = term.texts(RDFS_LABEL), term.texts(SKOS + "definition")
        return {
            "iri": term.iri,
            "name": term.name,
            "compact": compact(term.iri),
            "href": locale.href(term.iri),
            "label": self.label(term.iri, locale.lang),
            "kinds": [self.link(k, locale) for k in term.kinds],
            "labels": [(lang, labels[lang]) for lang in LANGS if lang in labels],
            "definitions": [(lang, definitions[lang]) for lang in LANGS if lang in definitions],
            "parents": parents,
            "imi": imi,
            "intl": intl,
            "domain": [self.link(i, locale) for i in term.iris(RDFS + "domain")],
            "range": [self.link(i, locale) for i in term.iris(RDFS + "range")],
            "shapes": shapes,
            "deprecated": term.deprecated,
            "instances": self.catalogue.instances(term.iri) if term.is_class else None,
            "uses": self.uses(term.iri, locale) if term.is_class else [],
            "examples": self.examples(term.iri, locale) if term.is_class else [],
        }

    def uses(self, cls: str, locale: Locale) -> list[dict[str, Any]]:
        """A class's properties as a query names them: CURIE, range as CURIEs, cardinality."""
        ours = self.catalogue.vocabulary.namespace
        return [
            {
                "curie": Link(
                    Text(("^" if u.inverse else "") + compact(u.path), code=True),
                    locale.href(u.path),
                    u.path,
                ),
                "label": self.label(u.path, locale.lang),
                "ranges": [Link(Text(compact(r), code=True), locale.href(r), r) for r in u.ranges],
                "cardinality": u.cardinality,
                "external": not u.path.startswith(ours),
                "object": u.is_object,
            }
            for u in self.catalogue.property_uses(cls)
        ]

    def examples(self, cls: str, locale: Locale) -> list[QueryLink]:
        """A class's example queries, each with a link that runs it at /sparql."""
        links = []
        for name, iris in self.catalogue.examples(cls):
            query = self.describer.queries[name]
            text = query.for_people(**{k: ox.NamedNode(v) for k, v in iris.items()})
            href = f"{locale.root}/sparql?{urlencode({'query': text})}"
            links.append(QueryLink(name, query.title, text, href))
        return links

    def external_properties(self, locale: Locale) -> list[dict[str, Any]]:
        """The properties of other vocabularies the classes use, with those classes."""
        ours = self.catalogue.vocabulary.namespace
        used: dict[str, list[str]] = defaultdict(list)
        for cls in self.catalogue.vocabulary.classes():
            for u in self.catalogue.property_uses(cls.iri):
                if not u.path.startswith(ours) and not u.inverse:
                    used[u.path].append(cls.iri)
        return [
            {
                "curie": Link(Text(compact(iri), code=True), locale.href(iri), iri),
                "label": self.label(iri, locale.lang),
                "classes": [self.link(c, locale) for c in classes],
            }
            for iri, classes in sorted(used.items(), key=lambda item: compact(item[0]))
        ]

    def diagram(self, locale: Locale) -> Markup:
        """The model as SVG: every class of the vocabulary and every class a link reaches."""
        vocabulary = self.catalogue.vocabulary
        edges = self.catalogue.model_edges()
        classes = (
            {c.iri for c in vocabulary.classes()} | {e[0] for e in edges} | {e[2] for e in edges}
        )
        boxes = []
        for iri in sorted(classes):
            term = vocabulary.terms.get(iri)
            href = locale.local("/def/") + "#" + term.name if term else locale.href(iri)
            # A class of another vocabulary goes by its CURIE, as a query names it.
            label = self.label(iri, locale.lang).text if term else compact(iri)
            boxes.append(
                Box(iri, label, href, f"{self.label(iri, locale.lang).text} ({compact(iri)})")
            )
        arrows = [
            Arrow(s, compact(p), o, f"{self.label(p, locale.lang).text} ({compact(p)})")
            for s, p, o in edges
        ]
        title = locale.t("model")
        return Markup(render_diagram(boxes, arrows, title, locale.lang))

    def alignment(self, term: VocabularyTerm, iri: str, locale: Locale) -> dict[str, Any]:
        relation = next(
            p
            for p in (
                RDFS + "subClassOf",
                SKOS + "closeMatch",
                SKOS + "exactMatch",
                OWL + "equivalentClass",
                RDFS + "subPropertyOf",
                OWL + "equivalentProperty",
            )
            if iri in term.iris(p)
        )
        return {
            "relation": self.link(relation, locale),
            "target": Link(Text(compact(iri), code=True), locale.href(iri), iri),
        }

    # -- pages -------------------------------------------------------------------------------

    def render(self, template: str, locale: Locale, **context: Any) -> str:
        return self.env.get_template(template).render(
            locale=locale, t=locale.t, site_licence=self.catalogue.licence, **context
        )

    def entity(
        self,
        description: Description,
        linked: Mapping[str, Mapping[str, list[Term]]],
        locale: Locale,
        downloads: list[Download],
        queries: list[QueryLink],
        page_links: Mapping[str, str],
        status: str | None = None,
        pictures: Sequence[str] = (),
    ) -> str:
        """The page of an entity or term (status 'gone' for a tombstone), with its SVG pictures."""
        iri = description.entity.value
        about = description.about(description.entity)
        term = self.catalogue.vocabulary.terms.get(iri)
        return self.render(
            "entity.html",
            locale,
            iri=iri,
            title=self.label(iri, locale.lang),
            types=self.types(about, locale),
            summary=self.summary(about, locale.lang),
            sources=self.sources(about, locale),
            rows=self.rows({k: v for k, v in about.items()}, description, locale),
            identifiers=self.identifiers(about, description, locale),
            tables=self.linked_tables(description, linked, locale),
            incoming=self.incoming(description, locale),
            description=description,
            page_links=page_links,
            downloads=downloads,
            queries=queries,
            term=self.term_view(term, locale) if term else None,
            kind_link=self.kind_link(iri, locale),
            status=status,
            pictures=[Markup(svg) for svg in pictures],
        )

    def kind_link(self, iri: str, locale: Locale) -> Link | None:
        """The index page an entity is listed on."""
        prefix = locale.base_iri + "id/"
        if not iri.startswith(prefix):
            return Link(Text(locale.t("ontology"), locale.lang), locale.local("/def/"))
        kind = iri[len(prefix) :].split("/", 1)[0]
        return Link(self.kind_label(kind, locale.lang), locale.local(f"/id/{kind}"))

    def kind_class(self, kind: str) -> str | None:
        """The most specific class every typed entity of an id type has (our own classes first)."""
        vocabulary = self.catalogue.vocabulary
        common: set[str] | None = None
        for classes in self.catalogue.kind_classes(kind):
            closure = set().union(*(vocabulary.ancestors(c) for c in classes))
            common = closure if common is None else common & closure
        if not common:
            return None
        ours = vocabulary.namespace
        return min(common, key=lambda c: (not c.startswith(ours), -len(vocabulary.ancestors(c)), c))

    def kind_label(self, kind: str, lang: str) -> Text:
        cls = self.kind_class(kind)
        return self.label(cls, lang) if cls else Text(kind, code=True)

    def kinds(self, locale: Locale) -> list[dict[str, Any]]:
        return [
            {
                "kind": kind,
                "label": self.kind_label(kind, locale.lang),
                "href": locale.local(f"/id/{kind}"),
                "count": count,
            }
            for kind, count in self.catalogue.kinds().items()
        ]

    def index(self, kind: str, locale: Locale, downloads: list[Download]) -> str:
        """Every entity of one id type, linked by label."""
        entities = sorted(
            self.catalogue.entities_of(kind),
            key=lambda e: (
                e.number is None,
                e.number or 0,
                self.label(e.iri, locale.lang).text,
                e.iri,
            ),
        )
        items = [
            {"link": self.link(e.iri, locale), "number": e.number, "iri": e.iri} for e in entities
        ]
        return self.render(
            "index.html",
            locale,
            kind=kind,
            title=self.kind_label(kind, locale.lang),
            items=items,
            downloads=downloads,
        )

    def kinds_page(self, locale: Locale) -> str:
        return self.render("kinds.html", locale, kinds=self.kinds(locale))

    def home(self, locale: Locale, triples: int, version: str, timeline: str = "") -> str:
        pillars = [
            {
                "link": self.link(p, locale),
                "initiatives": [self.link(i, locale) for i in initiatives],
            }
            for p, initiatives in self.catalogue.pillars
        ]
        report = locale.base_iri + "id/document/activity-report-2021-2022"
        return self.render(
            "home.html",
            locale,
            triples=triples,
            version=version,
            kinds=self.kinds(locale),
            pillars=pillars,
            report=self.link(report, locale) if report in self.catalogue.labels else None,
            timeline=Markup(timeline),
        )

    def ontology(self, header: Description, locale: Locale, downloads: list[Download]) -> str:
        """The vocabulary's page, headed by the description of its namespace."""
        vocabulary = self.catalogue.vocabulary
        about = header.about(header.entity)
        return self.render(
            "ontology.html",
            locale,
            title=self.label(vocabulary.namespace, locale.lang),
            summary=self.summary(about, locale.lang),
            version=self.first_literal(about, OWL + "versionInfo"),
            prefix=self.first_literal(about, VANN + "preferredNamespacePrefix") or "dakg",
            namespace=vocabulary.namespace,
            licence=self.first(about, DCTERMS + "license"),
            comment=self.text_in(about.get(RDFS + "comment", []), locale.lang),
            classes=[self.term_view(t, locale) for t in vocabulary.classes()],
            properties=[self.term_view(t, locale) for t in vocabulary.properties()],
            datatypes=[self.term_view(t, locale) for t in vocabulary.datatypes()],
            downloads=downloads,
            diagram=self.diagram(locale),
            prefix_block=prefix_block(),
            external=self.external_properties(locale),
        )

    def modelling(self, locale: Locale, markdown: str, source: str) -> str:
        """The modelling guide (data/README.md), rendered by the guides' own safe renderer."""
        return self.render(
            "modelling.html", locale, guide=Markup(render_guide(markdown)), source=source
        )

    def error(
        self, status: int, locale: Locale, iri: str | None, message: str | None = None
    ) -> str:
        return self.render("error.html", locale, status=status, iri=iri, message=message)


@dataclass(frozen=True)
class IndexLink:
    """One entry of an index page (/api/, /pictures/): where it goes and what it is."""

    href: str
    title: str
    description: str = ""
    media_type: str | None = None


# ---- pages outside the linked-data pages (the query page, the API docs) ---------------------

DEFAULT_LICENCE = "https://creativecommons.org/licenses/by/4.0/"


@functools.cache
def standalone_templates() -> jinja2.Environment:
    """The templates' environment for pages built without the dataset's Pages."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def request_locale(request: Any, base_iri: str, path: str) -> Locale:
    """The reader's language (?lang=, else Accept-Language) and how to link from this page."""
    lang, explicit = conneg.language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    params = tuple((k, v) for k, v in request.query_params.items() if k != "lang")
    root = request.scope.get("root_path", "").rstrip("/")
    return Locale(lang, explicit, root, base_iri, path, params)


def site_licence(app: Any) -> str:
    """The data's licence as the other pages show it (from the site the linked-data pages have
    built: linked_data/routes.py keeps it on the app); CC BY 4.0 while the store cannot say."""
    site = deps.built(app, "resources_site")
    return site.catalogue.licence if site is not None else DEFAULT_LICENCE


def render_standalone(request: Any, template: str, path: str, **context: Any) -> str:
    """A page with the site's header, language switch and footer, in the reader's language."""
    locale = request_locale(request, deps.settings(request).base_iri, path)
    return (
        standalone_templates()
        .get_template(template)
        .render(locale=locale, t=locale.t, site_licence=site_licence(request.app), **context)
    )


def format_size(size: int, lang: str) -> str:
    """A file size for people: bytes, KB or MB (1000s, as sizes on the web are read)."""
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,} バイト" if lang == "ja" else f"{size:,} bytes"


def downloads_page(request: Any, dumps: Sequence[Mapping[str, Any]], version: str) -> str:
    """The downloads page: each dump (file, format, mediaType, description, size in bytes,
    sha256 in hex) with the site's header, in the reader's language."""
    return render_standalone(
        request,
        "downloads.html",
        "/download/",
        dumps=dumps,
        version=version,
        format_size=format_size,
    )
