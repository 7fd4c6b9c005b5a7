"""What a validation reads and gives: its inputs, the checks of queries/checks/, each result with its location, and the outcome; the severities and the report formats by name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from dakg.rdf.sources import RdfSourceError
from rdflib import Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

CHECKS_NS = "https://w3id.org/dakg/checks/"
SEVERITY_RANK = {SH.Info: 0, SH.Warning: 1, SH.Violation: 2}
FAIL_ON = {"info": 0, "warning": 1, "violation": 2}
FORMATS = ("text", "turtle", "json-ld", "github", "junit", "sarif")
# Query features under which a VALUES join is not the same as pre-binding $this.
NOT_BATCHABLE = re.compile(
    r"(?<![?$\w])(MINUS|GROUP\s+BY|HAVING|LIMIT|OFFSET|ORDER\s+BY|SERVICE|GRAPH)\b"
    r"|(?<![?$\w])(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\("
    r"|\bVALUES\s*(\([^)]*)?[?$]this\b",
    re.IGNORECASE,
)
BATCH = 500
# Shape-expecting parameters: a shape named by one of them is evaluated inside another shape.
SHAPE_PARAMETERS = (
    SH.node,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.qualifiedValueShape,
    SH.property,
)


@dataclass(frozen=True)
class Location:
    """Where a focus node is defined: a file and a 1-based line."""

    path: Path
    line: int


@dataclass(frozen=True)
class Result:
    """One validation result, from a shape or a check, as the SHACL report describes it."""

    focus: Node
    severity: URIRef
    component: URIRef
    source: Node
    path: Node | None = None
    value: Node | None = None
    constraint: Node | None = None
    messages: tuple[Literal, ...] = ()

    def message(self, lang: str) -> str:
        """The message in `lang`, else an untagged one, else any."""
        by_lang = {m.language or "": str(m) for m in self.messages}
        for key in (lang, ""):
            if key in by_lang:
                return by_lang[key]
        return next(iter(sorted(by_lang.values())), "")

    @property
    def rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, SEVERITY_RANK[SH.Violation])


@dataclass(frozen=True)
class Check:
    """A saved query of queries/checks/ that must return no rows."""

    path: Path
    title: str
    description: str
    severity: URIRef
    query: str

    @property
    def iri(self) -> URIRef:
        return URIRef(CHECKS_NS + self.path.stem)

    @classmethod
    def from_file(cls, path: Path) -> Check:
        """Read a check and its `# title:`, `# description:` and `# severity:` header."""
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            match = re.match(r"#\s*(\w+)\s*:\s*(.*)$", line.strip())
            if match:  # a repeated key continues the value (a long description)
                key = match.group(1).lower()
                header[key] = (
                    f"{header[key]} {match.group(2).strip()}"
                    if key in header
                    else match.group(2).strip()
                )
        named = header.get("severity", "Violation")
        severity = URIRef(str(SH) + named.capitalize())
        if severity not in SEVERITY_RANK:
            raise RdfSourceError(path, f"unknown severity {named!r} (Violation, Warning or Info)")
        return cls(
            path=path,
            title=header.get("title", path.stem),
            description=header.get("description", ""),
            severity=severity,
            query=text,
        )


@dataclass(frozen=True)
class Inputs:
    """The files a validation reads."""

    data: tuple[Path, ...]
    ontology: tuple[Path, ...] = ()
    shapes: tuple[Path, ...] = ()
    checks: tuple[Path, ...] = ()
    # Data loaded with `data` but not reported on (the rest of the project's data/ttl/, for
    # `dakg validate FILE`): a reference to an entity it describes is not dangling.
    context: tuple[Path, ...] = ()

    @property
    def loaded(self) -> list[Path]:
        """Every file the store holds: the data, the context, the ontology."""
        return [*self.data, *self.context, *self.ontology]


@dataclass
class Outcome:
    """What a validation found, with what is needed to report it."""

    results: list[Result]
    shapes: rdflib.Graph
    checks: list[Check]
    inputs: Inputs
    triples: int
    locations: dict[Node, Location] = field(default_factory=dict)
    focus: frozenset[Node] | None = None

    def count(self, severity: URIRef) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def fails(self, fail_on: str = "violation") -> bool:
        """Whether any result is at or above the --fail-on level."""
        return any(r.rank >= FAIL_ON[fail_on] for r in self.results)

    def location(self, result: Result) -> Location | None:
        return self.locations.get(result.focus)
