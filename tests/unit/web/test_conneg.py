"""Content negotiation as every route does it: one table of Accept headers (and `format` values)
against a tuple of offers, the format chosen or the 406; one table of `lang` and Accept-Language
against the language chosen."""

from __future__ import annotations

import pytest
from dakg.rdf import formats
from dakg.web import conneg

RESULTS = formats.RESULT_FORMATS
GRAPHS = formats.GRAPH_FORMATS
# The linked-data pages' offers: RDF first, HTML for a client that sends no Accept.
PAGES = (formats.TURTLE, formats.JSONLD, formats.NTRIPLES, formats.RDFXML, formats.HTML)
INDEX = (formats.PLAIN_JSON, formats.HTML)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REFUSED = None

# (offers, Accept, format values, keyword arguments, the format chosen or REFUSED for a 406)
CHOICES = {
    "results-none": (RESULTS, None, (), {}, formats.JSON),
    "results-any": (RESULTS, "*/*", (), {}, formats.JSON),
    "results-exact": (RESULTS, "text/csv", (), {}, formats.CSV),
    "results-alias": (RESULTS, "text/tsv", (), {}, formats.TSV),
    "results-by-q": (
        RESULTS,
        "text/csv;q=0.4, application/sparql-results+xml;q=0.8",
        (),
        {},
        formats.XML,
    ),
    "results-q-zero": (RESULTS, "application/sparql-results+json;q=0, */*", (), {}, formats.XML),
    "results-all-q-zero": (RESULTS, "*/*;q=0", (), {}, REFUSED),
    "results-text-family": (RESULTS, "text/*", (), {}, formats.CSV),
    "results-application-family": (RESULTS, "application/*", (), {}, formats.JSON),
    "results-family-by-q": (RESULTS, "application/*;q=0.2, text/*", (), {}, formats.CSV),
    "results-image": (RESULTS, "image/png", (), {}, REFUSED),
    "graph-family-not-an-alias": (GRAPHS, "application/*", (), {}, formats.NTRIPLES),
    "graph-for-results": (GRAPHS, "application/sparql-results+json", (), {}, REFUSED),
    "pages-none": (PAGES, None, (), {"default": formats.HTML}, formats.HTML),
    "pages-empty": (PAGES, "", (), {"default": formats.HTML}, formats.HTML),
    "pages-any": (PAGES, "*/*", (), {"default": formats.HTML}, formats.TURTLE),
    "pages-browser": (PAGES, BROWSER, (), {"default": formats.HTML}, formats.HTML),
    "pages-xhtml": (PAGES, "application/xhtml+xml", (), {}, formats.HTML),
    "pages-json": (PAGES, "application/json", (), {}, formats.JSONLD),
    "pages-text-family": (PAGES, "text/*", (), {}, formats.TURTLE),
    "pages-q-zero-then-any": (PAGES, "text/turtle;q=0, */*", (), {}, formats.JSONLD),
    "pages-html-least": (
        PAGES,
        "text/html;q=0.1, application/n-triples;q=0.2",
        (),
        {},
        formats.NTRIPLES,
    ),
    "index-json-by-any": (INDEX, "*/*", (), {"explicit": (formats.HTML,)}, formats.PLAIN_JSON),
    "index-html-only-named": (INDEX, "text/*", (), {"explicit": (formats.HTML,)}, REFUSED),
    "index-html-named": (INDEX, "text/html", (), {"explicit": (formats.HTML,)}, formats.HTML),
    "parameter-first": (RESULTS, "text/csv", ("tsv",), {}, formats.TSV),
    "parameter-media-type": (GRAPHS, None, ("json-ld", "application/ld+json"), {}, formats.JSONLD),
    "parameter-sparqlwrapper-tsv": (
        RESULTS,
        None,
        ("tsv", "text/tab-separated-values"),
        {},
        formats.TSV,
    ),
    "parameter-rdfxml": (GRAPHS, None, ("rdf+xml", "application/rdf+xml"), {}, formats.RDFXML),
    "parameter-n3": (GRAPHS, None, ("n3",), {}, formats.TURTLE),
    "parameter-empty": (RESULTS, "text/csv", ("", ""), {}, formats.CSV),
    "parameter-other-kind": (RESULTS, None, ("turtle",), {}, REFUSED),
}


@pytest.mark.parametrize("case", list(CHOICES))
def test_the_format_chosen_or_refused(case):
    offers, accept, asked, options, expected = CHOICES[case]
    if expected is REFUSED:
        with pytest.raises(conneg.NotAcceptable) as refused:
            conneg.negotiate(offers, accept, asked, **options)
        # The 406 names what was asked and what the answer is available as.
        answer = conneg.refusal(refused.value)
        assert answer.status_code == 406
        text = answer.body.decode()
        assert text.startswith("Not acceptable: ")
        assert (accept or ",".join(asked)) in text
        offered = [f for f in offers if f not in options.get("explicit", ())]
        assert all(f.media_type in text for f in offered)
        assert answer.headers["vary"] == "Accept"
    else:
        assert conneg.negotiate(offers, accept, asked, **options) is expected


# A `format` value that names no format at all; on a strict route, one that names none of its
# offers too (the search answers format=xml with a 422 naming the parameter).
UNKNOWN = {
    "nothing": (RESULTS, ("yaml",), False),
    "nothing-strict": (INDEX, ("yaml",), True),
    "other-kind-strict": (INDEX, ("xml",), True),
    "other-kind-api": ((formats.PLAIN_JSON, formats.CSV), ("turtle",), True),
}


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_a_format_value_that_names_no_offer(case):
    offers, asked, strict = UNKNOWN[case]
    with pytest.raises(conneg.UnknownFormat):
        conneg.negotiate(offers, "*/*", asked, strict=strict)


def test_the_remembered_choices_agree_with_the_entry_point():
    negotiator = conneg.Negotiator()
    for accept in ("text/csv", "application/*", "text/*;q=0.5, */*;q=0.1"):
        chosen = conneg.negotiate(RESULTS, accept)
        assert negotiator.pick(formats.RESULTS, (), accept) is chosen
        assert negotiator.pick(formats.RESULTS, (), accept) is chosen  # remembered
    with pytest.raises(conneg.NotAcceptable):
        negotiator.pick(formats.GRAPH, (), "text/csv")


# (lang, Accept-Language, the language chosen, whether the client named it)
LANGUAGES = {
    "nothing": (None, None, "ja", False),
    "lang-en": ("en", "ja", "en", True),
    "lang-ja": ("ja", "en", "ja", True),
    "lang-unknown-falls-to-header": ("fr", "en", "en", False),
    "header-region": (None, "en-GB", "en", False),
    "header-by-q": (None, "ja;q=0.3, en;q=0.8", "en", False),
    "header-first-of-equals": (None, "en, ja", "en", False),
    "header-unknown-only": (None, "fr, de;q=0.5", "ja", False),
    "header-q-zero": (None, "en;q=0", "ja", False),
    "header-unreadable-q": (None, "en;q=high, ja;q=0.1", "ja", False),
    "header-wildcard": (None, "*", "ja", False),
    "header-case": (None, "EN-us", "en", False),
}


@pytest.mark.parametrize("case", list(LANGUAGES))
def test_the_language_chosen(case):
    asked, accept_language, lang, explicit = LANGUAGES[case]
    assert conneg.language(asked, accept_language) == (lang, explicit)
