"""Saved SPARQL queries: one file per query in queries/, with a header that says what it is.

A header is a run of comment lines at the top of the file:

    # title: Initiatives of a pillar with their lead agency
    # description: Every initiative of the pillar, in the report's order, with its lead agency.
    # param: pillar iri(pillar) = citizen-centric-public-service : the pillar (key or IRI)
    # param: lang lang = ja : the language of the labels
    # route: /api/pillars/{pillar}/initiatives

A parameter is `NAME TYPE [= DEFAULT] [: DESCRIPTION]`; a TYPE ending in `?` is optional (left
unbound when not given). Each parameter is a variable of the query that its SELECT projects: values
are substituted as in SPARQL SEP-0007, so every result row also says which values produced it. Types: `iri(TYPE)` (an IRI under https://w3id.org/dakg/id/TYPE/, given as
the IRI or as its key), `date`, `fiscal-year`, `integer`, `lang` (ja or en), `string`, `enum(a|b)`.
Values are bound as RDF terms by a VALUES block (service/sparql/values.py), never pasted from the
request. An optional parameter that was not given is unbound; test for it with
`COALESCE(STR(?x), "") = ""`, which reads the same on every store.
A `# route:` line publishes the query at that REST path too; `{name}` segments are parameters.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from dakg.errors import InputError, NotFound
from dakg.rdf.namespaces import ID, XSD
from dakg.sparql.values import bind_values

LANGS = ("ja", "en")
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>[a-z-]+(?:\([^)]*\))?)(?P<optional>\?)?"
    r"(?:\s*=\s*(?P<default>\S+))?(?:\s+:\s*(?P<description>.*))?$"
)


class ParameterError(InputError, ValueError):
    """A missing, unknown or malformed query parameter; the message names it (422, as the API
    answers it; 404 when it is well formed but names nothing)."""

    status = 422

    def __init__(self, message: str, parameter: str | None = None, not_found: bool = False):
        super().__init__(message)
        self.parameter = parameter
        # Well formed, but naming an entity the graph does not have (404 over HTTP).
        self.not_found = not_found
        if not_found:
            self.status = NotFound.status


class QueryFileError(InputError, ValueError):
    """A saved query file whose header cannot be read (400; exit 2 for `dakg query FILE`)."""


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a saved query."""

    name: str
    type: str
    required: bool
    default: str | None = None
    description: str = ""

    @property
    def base_type(self) -> str:
        return self.type.split("(", 1)[0]

    @property
    def argument(self) -> str | None:
        """What the type's parentheses hold: the IRI type of `iri(...)`, the choices of `enum(...)`."""
        if "(" in self.type:
            return self.type.split("(", 1)[1].rstrip(")")
        return None

    @property
    def choices(self) -> tuple[str, ...]:
        if self.base_type == "enum" and self.argument:
            return tuple(self.argument.split("|"))
        if self.base_type == "lang":
            return LANGS
        return ()

    def to_term(self, value: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a value given as text; ParameterError names the parameter at fault."""
        value = value.strip()
        kind = self.base_type
        try:
            if kind == "iri":
                return self._iri(value)
            if kind == "date":
                dt.date.fromisoformat(value)
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                    raise ValueError
                return ox.Literal(value, datatype=ox.NamedNode(XSD + "date"))
            if kind == "fiscal-year":
                digits = value.removeprefix("FY").removeprefix("fy")
                if not re.fullmatch(r"[0-9]{4}", digits) or not 1990 <= int(digits) <= 2100:
                    raise ValueError
                year = int(digits)
                return ox.NamedNode(f"{ID}fiscal-year/{year}")
            if kind == "integer":
                if not re.fullmatch(r"[+-]?[0-9]{1,12}", value):
                    raise ValueError
                return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
            if kind in ("lang", "enum"):
                if value not in self.choices:
                    raise ParameterError(
                        f"parameter '{self.name}': {value!r} is not one of {', '.join(self.choices)}",
                        self.name,
                    )
                return ox.Literal(value)
            if kind == "string":
                if len(value) > 500:
                    raise ValueError
                return ox.Literal(value)
        except ParameterError:
            raise
        except ValueError:
            raise ParameterError(
                f"parameter '{self.name}': {value!r} is not a valid {self.type}", self.name
            ) from None
        raise QueryFileError(f"parameter '{self.name}' has an unknown type {self.type!r}")

    def _iri(self, value: str) -> ox.NamedNode:
        prefix = f"{ID}{self.argument}/" if self.argument else ID
        if KEY.fullmatch(value) and self.argument:
            return ox.NamedNode(prefix + value)
        if value.startswith(prefix) and KEY.fullmatch(value[len(prefix) :].replace("/", "-")):
            return ox.NamedNode(value)
        raise ParameterError(
            f"parameter '{self.name}': {value!r} is neither a key nor an IRI under {prefix}",
            self.name,
        )


@dataclass(frozen=True)
class SavedQuery:
    """A query file of queries/ with its header."""

    name: str
    path: Path
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    route: str | None = None

    def bindings(self, values: dict[str, str]) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
        """Substitutions for the given parameter values, with defaults; unknown names are errors."""
        declared = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise ParameterError(
                f"unknown parameter '{unknown[0]}' (this query takes: "
                f"{', '.join(declared) or 'no parameters'})",
                unknown[0],
            )
        bound = {}
        for param in self.parameters:
            value = values.get(param.name, param.default)
            if value is None or value == "":
                if param.required:
                    raise ParameterError(f"missing parameter '{param.name}'", param.name)
                continue
            bound[ox.Variable(param.name)] = param.to_term(value)
        return bound


def parse_query_file(path: Path, require_title: bool = True) -> SavedQuery:
    """Read a saved query and its header (a query of one's own may go without a title)."""
    return parse_query_text(path.read_text(encoding="utf-8"), path, require_title)


def parse_query_text(text: str, path: Path, require_title: bool = True) -> SavedQuery:
    """A query and its header; `path` names it (its stem is the query's name)."""
    header: dict[str, str] = {}
    params: list[Parameter] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("#").strip().partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "param":
            match = PARAM.match(value)
            if not match:
                raise QueryFileError(f"{path}:{lineno}: cannot read the parameter {value!r}")
            params.append(
                Parameter(
                    name=match["name"],
                    type=match["type"],
                    required=not match["optional"] and match["default"] is None,
                    default=match["default"],
                    description=(match["description"] or "").strip(),
                )
            )
        elif key in ("title", "description"):
            header[key] = (header.get(key, "") + " " + value).strip()
        elif key == "route":
            header["route"] = value
    if "title" not in header:
        if require_title:
            raise QueryFileError(f"{path}:1: a saved query opens with a '# title:' line")
        header["title"] = path.stem
    route = header.get("route")
    if route is not None:
        declared = {p.name for p in params}
        for segment in re.findall(r"\{([^}]*)\}", route):
            if segment not in declared:
                raise QueryFileError(f"{path}: route {route!r} names {segment!r}, not a parameter")
    return SavedQuery(
        name=path.stem,
        path=path,
        title=header["title"],
        description=header.get("description", ""),
        text=text,
        parameters=tuple(params),
        route=route,
    )


def check_entities(
    query: SavedQuery,
    bindings: dict[ox.Variable, ox.NamedNode | ox.Literal],
    known: Callable[[ox.NamedNode], bool],
) -> None:
    """ParameterError (`not_found`) naming the first IRI parameter whose entity is not in the
    graph: `pillar=nosuch` is an error, not an empty answer."""
    for param in query.parameters:
        term = bindings.get(ox.Variable(param.name))
        if param.base_type == "iri" and isinstance(term, ox.NamedNode) and not known(term):
            key = term.value.rstrip("/").rsplit("/", 1)[-1]
            raise ParameterError(
                f"parameter '{param.name}': no {param.argument or 'entity'} {key!r} in the graph",
                param.name,
                not_found=True,
            )


def answer_columns(query: SavedQuery, variables: list[str]) -> list[str]:
    """The columns of the answer itself, without the parameters' values the query projects
    (SEP-0007), which echo the request: a parameter's column stays only where it is also data,
    an optional parameter (no default) that the graph pattern binds (a milestone's initiative when no
    initiative is asked for), so each route keeps the same columns whatever is asked."""
    declared = {p.name for p in query.parameters}
    kept = bound_optional_parameters(query)
    return [v for v in variables if v not in declared or v in kept]


def bound_optional_parameters(query: SavedQuery) -> frozenset[str]:
    # Optional with no default: left unbound unless asked for, so the pattern may bind it.
    optional = tuple(
        sorted(p.name for p in query.parameters if not p.required and p.default is None)
    )
    return _bound_by_pattern(query.text, optional) if optional else frozenset()


@functools.lru_cache(maxsize=256)
def _bound_by_pattern(text: str, names: tuple[str, ...]) -> frozenset[str]:
    """Which of the variables a triple pattern of the query binds (not one inside a FILTER or
    BIND expression: `FILTER EXISTS { ... ?agency }` only tests a value)."""
    # In a thread of its own: rdflib keeps some of the exceptions its parser raises, and with
    # them the frames of whoever called, which must not keep a store's answer (one that may not
    # be dropped on another thread) or anything else alive.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_read_bound_variables, text, names).result()


def _read_bound_variables(text: str, names: tuple[str, ...]) -> frozenset[str]:
    """As `_bound_by_pattern`, from rdflib's algebra of the query; a query rdflib cannot read
    keeps them all."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    try:
        algebra = prepareQuery(text).algebra
    except Exception:  # noqa: BLE001 - rdflib's parser raises many kinds; pyoxigraph judges
        return frozenset(names)

    found: set[str] = set()

    def walk(node: object, in_expression: bool) -> None:
        if isinstance(node, CompValue):
            if node.name == "BGP" and not in_expression:
                found.update(
                    str(t) for triple in node.triples for t in triple if isinstance(t, Variable)
                )
            for key, value in node.items():
                walk(value, in_expression or key == "expr")
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value, in_expression)

    walk(algebra, False)
    return frozenset(n for n in names if n in found)


def adhoc_query(text: str, source: str) -> SavedQuery:
    """A query given as text (`dakg query -q`, or on standard input), with or without a header."""
    return parse_query_text(text, Path(source), require_title=False)


@functools.cache
def query_texts(directory: Path, suffix: str = ".rq") -> dict[str, str]:
    """The texts of a folder's queries (or, with suffix ".ru", updates) by name, read once: the
    one reader of the code's own SPARQL (sparql/rq/), where the saved queries of queries/ are
    read with their header (parse_query_file)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob(f"*{suffix}"))}


def list_queries(directory: Path) -> list[SavedQuery]:
    """Every saved query of a folder (not its checks/ subfolder), by name."""
    return [parse_query_file(p) for p in sorted(directory.glob("*.rq"))]


def load_query(name_or_path: str, directory: Path) -> SavedQuery:
    """A saved query by name (a file of queries/), or a query of one's own by path to an .rq
    file, whose header (title, parameters) is optional."""
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.is_file():
        return parse_query_file(path, require_title=False)
    if NAME.fullmatch(name_or_path) and (directory / f"{name_or_path}.rq").is_file():
        return parse_query_file(directory / f"{name_or_path}.rq")
    names = ", ".join(q.name for q in list_queries(directory))
    raise ParameterError(f"no saved query {name_or_path!r} (saved queries: {names})", "query")


def run_query(store: ox.Store, query: SavedQuery, values: dict[str, str]):
    """Run a saved query on the union of the store's graphs with its parameters bound."""
    return store.query(
        bind_values(query.text, query.bindings(values)), use_default_graph_as_union=True
    )


def execute(dataset, query: SavedQuery, bindings) -> tuple[list[str], list[dict[str, Any]]]:
    """Run the query; the rows keep their RDF terms until rendering."""
    result = dataset.query(query.text, substitutions=bindings)
    variables = [v.value for v in result.variables]
    return variables, [{v: solution[v] for v in variables} for solution in result]
