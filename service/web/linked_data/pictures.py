"""The pictures people would rather look at than read: the milestone timeline and indicator charts,
as SVG drawn by the service (no JavaScript), from the saved queries' answers, which the app's
executor runs (describe.Runner): a picture's queries get the time limit, the caps and the worker
processes of /sparql, and one past the limit is answered as the executor's error is."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from xml.sax.saxutils import escape, quoteattr

from dakg.packaged import internal_queries
from dakg.rdf.namespaces import ID
from dakg.rdf.terms import json_value
from dakg.sparql.library import ParameterError, SavedQuery, load_query
from dakg.web import caching, conneg
from dakg.web.deps import DatasetDep, PicturesQueriesDep
from dakg.web.linked_data.describe import Runner
from dakg.web.linked_data.views import IndexLink
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

PICTURES = internal_queries("pictures")

PILLAR_COLOURS = ("#1a5fb4", "#c64600", "#26a269")
KIND_COLOURS = {
    "actual": "#1a5fb4",
    "change": "#613583",
    "target": "#c64600",
    "estimate": "#5e5c64",
}
FONT = "'Noto Sans CJK JP', 'Hiragino Sans', 'Yu Gothic', 'Noto Sans', sans-serif"
WORDS = {
    "ja": {
        "timeline": "今後の展開（予定）の時期",
        "undated": "時期の記載がない予定・随時",
        "fy": "{}年度",
        "legend_kind": {"actual": "実績", "change": "増減", "target": "目標", "estimate": "概算"},
    },
    "en": {
        "timeline": "When the planned items are due",
        "undated": "Planned items with no date, or ongoing",
        "fy": "FY{}",
        "legend_kind": {
            "actual": "actual",
            "change": "change",
            "target": "target",
            "estimate": "estimate",
        },
    },
}
MEDIA = "image/svg+xml"


@dataclass(frozen=True)
class Queries:
    """The saved queries the pictures are drawn from."""

    milestones: SavedQuery
    pillars: SavedQuery
    observations: SavedQuery
    indicator: SavedQuery
    charted: SavedQuery
    charts: SavedQuery

    @classmethod
    def load(cls, queries_dir: Path) -> Queries:
        return cls(
            milestones=load_query("milestones", queries_dir),
            pillars=load_query(str(PICTURES / "pillars.rq"), queries_dir),
            observations=load_query("indicator-observations", queries_dir),
            indicator=load_query(str(PICTURES / "indicator.rq"), queries_dir),
            charted=load_query(str(PICTURES / "charted-indicators.rq"), queries_dir),
            charts=load_query(str(PICTURES / "charts.rq"), queries_dir),
        )


@dataclass(frozen=True)
class Pictures:
    """The pictures, drawn on demand for the pages and the /pictures routes, from the answers of
    the queries a request's runner runs."""

    queries: Queries

    async def timeline(
        self, runner: Runner, lang: str, initiative: str | None = None, root: str = ""
    ) -> str:
        """The milestone timeline, of every initiative or of one (key or IRI)."""
        extra = {"initiative": initiative} if initiative else {}
        milestones = await rows(runner, self.queries.milestones, lang=lang, **extra)
        pillars = await rows(runner, self.queries.pillars, lang=lang)
        return timeline_svg(milestones, pillars, lang, root)

    async def chart(self, runner: Runner, indicator: str, lang: str) -> str | None:
        """The chart of an indicator (key or IRI), or None when there is no such indicator."""
        found = await rows(runner, self.queries.indicator, indicator=indicator, lang=lang)
        if not found:
            return None
        observations = await rows(runner, self.queries.observations, indicator=indicator, lang=lang)
        return chart_svg(found[0]["label"], observations, lang)

    async def index(self, runner: Runner, lang: str, root: str = "") -> list[IndexLink]:
        """The timeline and the chart of every indicator with more than one figure."""
        links = [IndexLink(f"{root}/pictures/timeline.svg", WORDS[lang]["timeline"], "", MEDIA)]
        for r in await rows(runner, self.queries.charts, lang=lang):
            key = r["indicator"].rsplit("/", 1)[-1]
            links.append(IndexLink(f"{root}/pictures/indicators/{key}.svg", r["label"], "", MEDIA))
        return links

    async def charts_for(self, runner: Runner, entity: str, lang: str) -> list[str]:
        """Charts of the indicators with more than one figure, of an initiative or an indicator."""
        if not entity.startswith(ID):
            return []
        charted = await rows(runner, self.queries.charted, entity=entity)
        drawn = [await self.chart(runner, r["indicator"], lang) for r in charted]
        return [svg for svg in drawn if svg is not None]


async def rows(runner: Runner, query: SavedQuery, **values: str) -> list[dict]:
    """A saved query's rows as plain values, its parameters bound to the values given."""
    variables, found = await runner.rows(query.text, query.bindings(values))
    return [{v: json_value(r[v]) for v in variables} for r in found]


def fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def clip(text: str, pixels: int) -> str:
    """The text cut to fit a width at 13px (wide Japanese characters take about twice a Latin one)."""
    used = 0.0
    for i, char in enumerate(text):
        used += 13 if unicodedata.east_asian_width(char) in "WF" else 7.2
        if used > pixels:
            return text[: max(i - 1, 0)] + "…"
    return text


def initiative_href(iri: str, root: str = "") -> str:
    """The initiative's page on this service (its IRI mapped onto the request's root)."""
    return root + "/id/" + iri.removeprefix(ID)


def svg(width: int, height: int, lang: str, title: str, body: list[str]) -> str:
    # A picture whose items are links is a group of them (an image holds no links one can reach).
    role = "group" if any("<a " in part for part in body) else "img"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xml:lang="{lang}" lang="{lang}" role="{role}" '
        f"aria-label={quoteattr(title)} "
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{escape(FONT)}" font-size="13">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>\n"
    )


def timeline_svg(milestones: list[dict], pillars: list[dict], lang: str, root: str = "") -> str:
    """Every dated milestone as a mark on a fiscal-year axis (a bar for a window, a diamond for a
    deadline, an arrow for 'from'), coloured by pillar, each linking to its initiative."""
    words = WORDS[lang]
    colour = {p["pillar"]: PILLAR_COLOURS[(p["number"] - 1) % 3] for p in pillars}
    dated = [m for m in milestones if m["latestDate"] or m["earliestDate"]]
    undated = [m for m in milestones if not (m["latestDate"] or m["earliestDate"])]
    days = [
        dt.date.fromisoformat(m[k]) for m in dated for k in ("earliestDate", "latestDate") if m[k]
    ]
    first = fiscal_year(min(days)) if days else 2022
    last = fiscal_year(max(days)) if days else 2025
    start, end = dt.date(first, 4, 1), dt.date(last + 1, 3, 31)
    label_w, axis_x, axis_w, row_h = 420, 440, 500, 22
    width = axis_x + axis_w + 20

    def x(day: dt.date) -> float:
        return axis_x + axis_w * (day - start).days / max((end - start).days, 1)

    body = [
        f'<text x="10" y="22" font-size="16" font-weight="bold">{escape(words["timeline"])}</text>'
    ]
    for i, p in enumerate(pillars):
        ly = 34 + i * 18
        body.append(
            f'<rect x="10" y="{ly}" width="12" height="12" fill="{colour[p["pillar"]]}"/>'
            f'<text x="28" y="{ly + 11}">{escape(p["label"])}</text>'
        )
    top = 34 + 18 * len(pillars) + 34
    for year in range(first, last + 1):
        x0 = x(dt.date(year, 4, 1))
        body.append(
            f'<line x1="{x0:.1f}" y1="{top - 8}" x2="{x0:.1f}" y2="{top + row_h * len(dated)}" '
            f'stroke="#c0bfbc"/><text x="{x0 + 4:.1f}" y="{top - 12}" fill="#3d3846">'
            f"{escape(words['fy'].format(year))}</text>"
        )
    for n, m in enumerate(dated):
        y = top + n * row_h + row_h / 2
        fill = colour.get(m["pillar"], "#5e5c64")
        early = dt.date.fromisoformat(m["earliestDate"]) if m["earliestDate"] else None
        late = dt.date.fromisoformat(m["latestDate"]) if m["latestDate"] else None
        if early and late and early != late:
            mark = (
                f'<rect x="{x(early):.1f}" y="{y - 6:.1f}" width="{max(x(late) - x(early), 3):.1f}" '
                f'height="12" rx="3" fill="{fill}"/>'
            )
        elif late:
            cx = x(late)
            mark = (
                f'<line x1="{axis_x}" y1="{y:.1f}" x2="{cx:.1f}" y2="{y:.1f}" stroke="{fill}" '
                f'stroke-opacity="0.35" stroke-dasharray="3 3"/><path d="M{cx - 7:.1f} {y:.1f} '
                f'L{cx:.1f} {y - 7:.1f} L{cx + 7:.1f} {y:.1f} L{cx:.1f} {y + 7:.1f}Z" fill="{fill}"/>'
            )
        else:
            cx = x(early)
            mark = (
                f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="6" fill="{fill}"/><path d="M{cx + 8:.1f} '
                f'{y - 5:.1f} L{cx + 16:.1f} {y:.1f} L{cx + 8:.1f} {y + 5:.1f}Z" fill="{fill}"/>'
            )
        tooltip = f"{m['label']} — {m['wording']}"
        body.append(
            f"<a href={quoteattr(initiative_href(m['initiative'], root))}><title>{escape(tooltip)}</title>"
            f'<text x="{label_w}" y="{y + 4:.1f}" text-anchor="end">{escape(clip(m["label"], 400))}</text>'
            f"{mark}</a>"
        )
    y = top + row_h * len(dated) + 36
    body.append(
        f'<text x="10" y="{y}" font-size="15" font-weight="bold">{escape(words["undated"])}</text>'
    )
    for n, m in enumerate(undated):
        ty = y + 22 + n * row_h
        fill = colour.get(m["pillar"], "#5e5c64")
        body.append(
            f"<a href={quoteattr(initiative_href(m['initiative'], root))}><title>{escape(m['wording'])}</title>"
            f'<rect x="10" y="{ty - 10}" width="10" height="10" fill="{fill}"/>'
            f'<text x="28" y="{ty}">{escape(clip(m["label"], 900))}</text></a>'
        )
    height = int(y + 22 + row_h * len(undated) + 10)
    return svg(width, height, lang, words["timeline"], body)


def period_of(o: dict, lang: str) -> str:
    """What a figure is as of, in words: the date, the period, or the target's fiscal year."""
    if o.get("asOf"):
        return o["asOf"]
    if o.get("periodStart") or o.get("periodEnd"):
        return f"{o.get('periodStart') or ''}–{o.get('periodEnd') or ''}"
    if o.get("referencePeriod"):
        year = o["referencePeriod"].rsplit("/", 1)[-1]
        return WORDS[lang]["fy"].format(year) if "fiscal-year" in o["referencePeriod"] else year
    return ""


def chart_svg(title: str, observations: list[dict], lang: str) -> str:
    """Each figure of an indicator as a bar, coloured by kind (targets against actuals)."""
    words = WORDS[lang]
    top, row_h, label_w, bar_w = 64, 30, 420, 360
    width = label_w + bar_w + 150
    # Bars compare within a unit: people with people, times with times.
    biggest: dict[str, float] = {}
    for o in observations:
        biggest[o["unit"]] = max(biggest.get(o["unit"], 0.0), abs(float(o["value"]))) or 1.0
    body = [
        f'<text x="10" y="22" font-size="16" font-weight="bold">{escape(clip(title, 800))}</text>'
    ]
    kinds = sorted({o["kind"] for o in observations})
    for i, kind in enumerate(kinds):
        body.append(
            f'<rect x="{10 + i * 120}" y="34" width="12" height="12" fill="{KIND_COLOURS.get(kind, "#5e5c64")}"/>'
            f'<text x="{28 + i * 120}" y="45">{escape(words["legend_kind"].get(kind, kind))}</text>'
        )
    for n, o in enumerate(observations):
        y = top + n * row_h
        length = bar_w * abs(float(o["value"])) / biggest[o["unit"]]
        value = f"{o['value']:,}" if isinstance(o["value"], int) else str(o["value"])
        caption = clip(f"{period_of(o, lang)} {o['label']}".strip(), label_w - 20)
        body.append(
            f"<g><title>{escape(o['wording'])}</title>"
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(caption)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{max(length, 2):.1f}" height="16" '
            f'fill="{KIND_COLOURS.get(o["kind"], "#5e5c64")}"/>'
            f'<text x="{label_w + max(length, 2) + 6:.1f}" y="{y + 17}">{escape(value)} {escape(o["unit"])}</text></g>'
        )
    return svg(width, top + row_h * len(observations) + 16, lang, title, body)


def svg_response(request: Request, version: str, text: str, lang: str) -> Response:
    """The picture, with the validators of every answer of this dataset version; its ETag
    names the whole request URL (the picture's parameters and the host its links point to)
    and its language, which Accept-Language chose when `lang` did not."""
    etag = caching.etag_for(version, str(request.url), lang)
    kept = {} if "lang" in request.query_params else {"vary": "Accept-Language"}
    unchanged = caching.not_modified(request, etag, kept)
    if unchanged is not None:
        return unchanged
    headers = {**kept, **caching.validators(request, etag)}
    return Response(text, media_type=MEDIA, headers=headers)


def language(request: Request) -> str:
    """The picture's language, as every answer chooses it (conneg.language); a `lang` that
    names no language is a parameter at fault here, since the picture names no other."""
    asked = request.query_params.get("lang")
    if asked is not None and asked not in WORDS:
        raise ParameterError("parameter 'lang' must be ja or en", "lang")
    return conneg.language(asked, request.headers.get("accept-language"))[0]


def current_pictures(queries: PicturesQueriesDep) -> Pictures:
    """The pictures of the app's saved queries (a route's dependency: `pictures: PicturesDep`)."""
    return Pictures(queries)


PicturesDep = Annotated[Pictures, Depends(current_pictures)]


def problem(place: str, exc: ParameterError, status: int = 422) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": [place, exc.parameter], "msg": str(exc)}]}, status)


def pictures_router() -> APIRouter:
    """/pictures/timeline.svg[?initiative=&lang=] and /pictures/indicators/{key}.svg[?lang=]
    (their index, /pictures/, is a page of linked_data/routes.py)."""
    router = APIRouter(tags=["pictures"])

    @router.get(
        "/pictures/timeline.svg", response_class=Response, summary="Timeline of the milestones"
    )
    async def timeline(request: Request, pictures: PicturesDep, dataset: DatasetDep) -> Response:
        try:
            lang = language(request)
            initiative = request.query_params.get("initiative")
            text = await pictures.timeline(
                Runner.of(request), lang, initiative, request.scope.get("root_path", "")
            )
        except ParameterError as exc:
            return problem("query", exc)
        return svg_response(request, dataset.version, text, lang)

    @router.get(
        "/pictures/indicators/{key}.svg", response_class=Response, summary="Chart of an indicator"
    )
    async def chart(
        key: str, request: Request, pictures: PicturesDep, dataset: DatasetDep
    ) -> Response:
        try:
            lang = language(request)
            text = await pictures.chart(Runner.of(request), key, lang)
        except ParameterError as exc:
            return problem("path", exc)
        if text is None:
            return JSONResponse(
                {"detail": [{"loc": ["path", "key"], "msg": f"no indicator {key!r}"}]}, 404
            )
        return svg_response(request, dataset.version, text, lang)

    return router
