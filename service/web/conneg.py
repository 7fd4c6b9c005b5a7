"""Content negotiation, once for every route: which format answers a request, from the `format`
parameter and the Accept header, among the formats an answer can be given in (dakg.rdf.formats),
and which language a page, a picture or an API answer speaks, from `lang` and Accept-Language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dakg.errors import InputError, NotAcceptableError
from dakg.rdf.formats import ALL_TOKENS, GRAPH_FORMATS, RESULT_FORMATS, RESULTS, Format
from fastapi.responses import Response


class NotAcceptable(NotAcceptableError):
    """No format the client accepts is one the service can give for this answer (406)."""

    def __init__(self, offers: Sequence[Format], asked: str):
        self.offers = offers
        self.asked = asked
        super().__init__(
            f"Not acceptable: {asked}. This answer is available as "
            + ", ".join(f.media_type for f in offers)
            + " (or with format="
            + "|".join(f.tokens[0] for f in offers)
            + ")."
        )


class UnknownFormat(InputError, ValueError):
    """A `format` parameter value that names no format at all (400)."""


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How closely this range matches a media type: 2 exactly, 1 by type/*, 0 by */*, -1 not."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; unreadable entries are skipped."""
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        fields = part.split(";")
        kind = fields[0].strip().lower()
        main, slash, sub = kind.partition("/")
        if not slash or not main or not sub:
            continue
        ranges.append(MediaRange(main, sub, quality_of(fields[1:])))
    return ranges


def quality_of(params: Sequence[str]) -> float:
    """The q of one entry of an Accept or Accept-Language header (1 when it has none, 0 when it
    cannot be read: an entry the client weighed in a way no one can read is no preference)."""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def choose(
    accept: str | None,
    offers: Sequence[Format],
    explicit: Iterable[Format] = (),
    default: Format | None = None,
) -> Format:
    """The best offer for an Accept header: `default` (else the first offer) when none is sent,
    the first offer for `*/*`.

    Ties go to the range that names the type most exactly, then to the server's order.
    Formats in `explicit` (the HTML page) are chosen only when the client names them.
    """
    if not accept or not accept.strip():
        return default or offers[0]
    if accept.strip() == "*/*":
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    only_named = set(explicit)
    best: tuple[float, int, int] | None = None
    chosen: Format | None = None
    for index, offer in enumerate(offers):
        for media_type in offer.media_types:
            q, spec = _quality(ranges, media_type)
            # Wildcards reach a format by its own media type, never by an alias.
            alias = media_type != offer.media_type
            if q <= 0 or ((alias or offer in only_named) and spec < 2):
                continue
            score = (q, spec, -index)
            if best is None or score > best:
                best, chosen = score, offer
    if chosen is None:
        raise NotAcceptable([o for o in offers if o not in only_named], f"Accept: {accept}")
    return chosen


def _quality(ranges: list[MediaRange], media_type: str) -> tuple[float, int]:
    """The q of the most specific range matching a media type, and how specific it is."""
    best_spec, best_q = -1, 0.0
    for media_range in ranges:
        spec = media_range.specificity(media_type)
        if spec > best_spec or (spec == best_spec and media_range.q > best_q):
            best_spec, best_q = spec, media_range.q
    return (best_q, best_spec) if best_spec >= 0 else (0.0, -1)


def from_parameter(values: Sequence[str], offers: Sequence[Format]) -> Format | None:
    """The format a `format`/`output` parameter asks for, or None when it asks for none.

    Values are tokens (json, xml, csv, tsv, turtle/ttl, ntriples/nt, jsonld, rdfxml) or media
    types; the first one that names a format of this answer wins. A value that names a format
    of another kind of answer (csv for a CONSTRUCT) is NotAcceptable; a value that names
    nothing is an UnknownFormat.
    """
    asked = [v.strip() for v in values if v and v.strip()]
    if not asked:
        return None
    for value in asked:
        lowered = value.lower()
        media = lowered.split(";")[0].strip()
        for offer in offers:
            if lowered in offer.tokens or media in offer.media_types:
                return offer
    known = [v for v in asked if v.lower() in ALL_TOKENS or "/" in v]
    if known:
        raise NotAcceptable(offers, "format=" + ",".join(asked))
    raise UnknownFormat(
        f"Unknown format {asked[0]!r}: use one of json, xml, csv, tsv (SELECT, ASK) or "
        "turtle, ntriples, jsonld, rdfxml (CONSTRUCT, DESCRIBE), or a media type."
    )


def negotiate(
    offers: Sequence[Format],
    accept: str | None,
    asked: Sequence[str] = (),
    *,
    explicit: Iterable[Format] = (),
    default: Format | None = None,
    strict: bool = False,
) -> Format:
    """The format of an answer among `offers`, as every route picks it: the `format` parameter
    (`asked`, its values) first, else the Accept header (`choose`).

    UnknownFormat when a `format` value names no format; NotAcceptable when it names a format
    of another kind of answer or when Accept takes none of the offers. A route whose `format`
    parameter names only its own offers (`strict`: the search, the REST API) answers any other
    value as a parameter at fault, so that value is an UnknownFormat there too.
    """
    try:
        named = from_parameter(asked, offers)
    except NotAcceptable as refusal:
        if not strict:
            raise
        raise UnknownFormat(str(refusal)) from None
    return named or choose(accept, offers, explicit, default)


def refusal(error: NotAcceptable, headers: Mapping[str, str] | None = None) -> Response:
    """The 406 of every route: what was asked and what the answer is available as, in words."""
    return Response(
        str(error) + "\n",
        status_code=406,
        media_type="text/plain; charset=utf-8",
        headers={"Vary": "Accept", **(headers or {})},
    )


# The languages of the pages, the pictures and the REST API's labels, the first the default.
LANGS = ("ja", "en")
DEFAULT_LANG = LANGS[0]


def language(asked: str | None, accept_language: str | None) -> tuple[str, bool]:
    """The language to answer in, and whether the client named it: `lang` when it is one of
    LANGS (explicit), else the best of Accept-Language by q (its primary subtag; the first of
    equals), else the default."""
    if asked in LANGS:
        return asked, True
    best, best_q = DEFAULT_LANG, 0.0
    for part in (accept_language or "").split(","):
        tag, *params = part.strip().split(";")
        primary = tag.strip().lower().split("-", 1)[0]
        q = quality_of(params)
        if primary in LANGS and q > best_q:
            best, best_q = primary, q
    return best, False


def offers_for(form: str) -> tuple[Format, ...]:
    """The formats an answer of a kind (RESULTS or GRAPH) can be given in."""
    return RESULT_FORMATS if form == RESULTS else GRAPH_FORMATS


# The longest Accept header (with the format parameters) whose choice is remembered: clients'
# headers are short, and a long one is a client's own string, never worth keeping.
MAX_REMEMBERED_CHARS = 512


class Negotiator:
    """Format choices remembered by what the client sent: clients repeat the same few headers.
    A refusal is remembered too (a results Accept header asks nothing for a graph, and every
    SELECT asks which graph format it would have been given)."""

    def __init__(self, size: int = 512):
        self.size = size
        self._choices: dict[tuple, Format | NotAcceptable] = {}

    def pick(self, form: str, asked: tuple[str, ...], accept: str | None) -> Format:
        """The answer's format: the `format` parameter first, else the Accept header."""
        found = self.offer(form, asked, accept)
        if found is None:
            refusal = self._choices.get((form, asked, accept))
            if not isinstance(refusal, NotAcceptable):  # too long to be remembered: work it out
                try:
                    return from_parameter(asked, offers_for(form)) or choose(
                        accept, offers_for(form)
                    )
                except NotAcceptable as error:
                    refusal = error.with_traceback(None)
            raise NotAcceptable(refusal.offers, refusal.asked)
        return found

    def offer(self, form: str, asked: tuple[str, ...], accept: str | None) -> Format | None:
        """As `pick`, but None when no format is acceptable."""
        key = (form, asked, accept)
        found = self._choices.get(key)
        if found is None:
            offers = offers_for(form)
            try:
                found = from_parameter(asked, offers) or choose(accept, offers)
            except NotAcceptable as refusal:
                # Kept without its traceback, which holds the request's frames.
                found = refusal.with_traceback(None)
            if len(accept or "") + sum(map(len, asked)) > MAX_REMEMBERED_CHARS:
                return None if isinstance(found, NotAcceptable) else found
            if len(self._choices) >= self.size:
                self._choices.clear()
            self._choices[key] = found
        return None if isinstance(found, NotAcceptable) else found
