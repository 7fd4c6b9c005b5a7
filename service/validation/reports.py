"""The reports of `dakg validate`: text, the W3C validation report (Turtle, JSON-LD), GitHub
Actions annotations, JUnit XML and SARIF 2.1.0."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pyoxigraph as ox
import rdflib
import rdflib.collection
from dakg import __version__
from dakg.rdf.namespaces import canonical_prefixes
from dakg.validation.model import CHECKS_NS, FAIL_ON, Location, Outcome, Result
from dakg.validation.rdfio import ox_term
from dakg.validation.shapes import display
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

SHAPES_NS = "https://w3id.org/dakg/shapes/"
LEVEL_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
SARIF_LEVELS = {SH.Violation: "error", SH.Warning: "warning", SH.Info: "note"}
GITHUB_COMMANDS = {SH.Violation: "error", SH.Warning: "warning", SH.Info: "notice"}
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://w3id.org/dakg/"


def render(outcome: Outcome, fmt: str, lang: str = "en", fail_on: str = "violation") -> str:
    """The report of an outcome in one format."""
    if fmt == "text":
        return text_report(outcome, lang, fail_on)
    if fmt == "turtle":
        return turtle(report_graph(outcome))
    if fmt == "json-ld":
        return report_graph(outcome).serialize(
            format="json-ld", context=jsonld_context(), auto_compact=True
        )
    if fmt == "github":
        return github_report(outcome, lang)
    if fmt == "junit":
        return junit_report(outcome, lang, fail_on)
    if fmt == "sarif":
        return json.dumps(sarif_report(outcome, lang), ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


# ---------------------------------------------------------------- names and places


def short(node: Node | None) -> str:
    """A short name for a shape, a check, a component or a data term."""
    if node is None:
        return ""
    text = str(node)
    for namespace, prefix in ((SHAPES_NS, "shapes:"), (CHECKS_NS, "checks:"), (str(SH), "sh:")):
        if text.startswith(namespace) and len(text) > len(namespace):
            return prefix + text[len(namespace) :]
    return display(node) if isinstance(node, URIRef | Literal) else f"_:{node}"


def rule_id(node: Node) -> str:
    """The id of a shape or check as a rule: its local name."""
    text = str(node)
    for namespace in (SHAPES_NS, CHECKS_NS):
        if text.startswith(namespace) and len(text) > len(namespace):
            return text[len(namespace) :]
    return text


def relative(path: Path) -> str:
    """A path relative to the working directory where possible, with forward slashes."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:
        return path.resolve().as_posix()


# Characters that end a line or drive a terminal: a file name or a text of the data holding one
# would write a line of its own (a `::warning` workflow command, a forged result).
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
ESCAPES = {"\n": "\\n", "\r": "\\r"}


def plain(text: str) -> str:
    """The text with every control character written as an escape (\\n, \\r, \\u001B): one line."""
    return CONTROL.sub(lambda m: ESCAPES.get(m.group(0), f"\\u{ord(m.group(0)):04X}"), text)


def turtle(graph: rdflib.Graph) -> str:
    """A graph in Turtle, written by pyoxigraph: every literal on one line, its controls escaped."""
    triples = [ox.Triple(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in graph]
    prefixes = {prefix: str(namespace) for prefix, namespace in graph.namespaces() if prefix}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")


def term_text(node: Node | None) -> str:
    """A term as it reads in Turtle: a prefixed name, <iri> or a quoted literal."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        text = '"' + str(node).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if node.language:
            return f"{text}@{node.language}"
        return f"{text}^^{display(node.datatype)}" if node.datatype else text
    if isinstance(node, BNode):
        return "a blank node"
    return display(node)


def path_text(outcome: Outcome, path: Node | None) -> str:
    """A result path as a SPARQL property path."""
    if path is None:
        return ""
    if not isinstance(path, BNode):
        return display(path)
    graph = outcome.shapes
    if (path, RDF.first, None) in graph:
        return "/".join(path_text(outcome, p) for p in graph.items(path))
    for predicate, mark in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                            (SH.zeroOrOnePath, "{}?")):  # fmt: skip
        inner = graph.value(path, predicate)
        if inner is not None:
            return mark.format(path_text(outcome, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(outcome, p) for p in graph.items(alternatives)) + ")"
    return "a path"


def severity_name(result: Result) -> str:
    return LEVEL_NAMES.get(result.severity, short(result.severity))


def summary(outcome: Outcome, fail_on: str) -> str:
    """One line: the counts per severity and what they mean for the exit status."""
    counts = ", ".join(
        f"{outcome.count(level)} {name.lower()}{'s' if outcome.count(level) != 1 else ''}"
        for level, name in LEVEL_NAMES.items()
    )
    files = len(outcome.inputs.data)
    scope = f"{files} file{'s' if files != 1 else ''}, {outcome.triples} triples"
    if outcome.focus is not None:
        scope += f", {len(outcome.focus)} focus nodes (--changed-since)"
    if outcome.inputs.context:
        others = len(outcome.inputs.context)
        scope += (
            f"; {others} other file{'s' if others != 1 else ''} loaded as context, "
            f"only the results about what the given file{'s' if files != 1 else ''} "
            f"describe{'s' if files == 1 else ''}"
        )
    verdict = "FAILS" if outcome.fails(fail_on) else "passes"
    return f"{counts} ({scope}); {verdict} at --fail-on {fail_on}."


# ---------------------------------------------------------------- text


def text_report(outcome: Outcome, lang: str, fail_on: str) -> str:
    """Results grouped by the file that defines their focus node, then a summary."""
    groups: dict[str, list[tuple[Location | None, Result]]] = defaultdict(list)
    for result in outcome.results:
        where = outcome.location(result)
        groups[relative(where.path) if where else "(focus node not defined in any file)"].append(
            (where, result)
        )
    lines: list[str] = []
    for name in sorted(groups):
        lines.append(name)
        for where, result in sorted(
            groups[name], key=lambda item: (item[0].line if item[0] else 0, -item[1].rank)
        ):
            lines.extend(text_result(outcome, where, result, lang))
        lines.append("")
    if not outcome.results:
        lines.append("No results: the data conforms.")
    lines.append(summary(outcome, fail_on))
    return "".join(plain(line) + "\n" for line in lines)


def text_result(outcome: Outcome, where: Location | None, result: Result, lang: str) -> list[str]:
    line = f"{where.line}:" if where else "-:"
    head = f"  {line:<6} {severity_name(result):<9} {short(result.focus)}"
    detail = []
    if result.path is not None:
        detail.append(f"path {path_text(outcome, result.path)}")
    if result.value is not None and result.value != result.focus:
        detail.append(f"value {term_text(result.value)}")
    lines = [head]
    if detail:
        lines.append("         " + "  ".join(detail))
    lines.append("         " + result.message(lang))
    lines.append(f"         [{short(result.source)} · {short(result.component)}]")
    return lines


# ---------------------------------------------------------------- the W3C validation report


def report_graph(outcome: Outcome) -> rdflib.Graph:
    """The SHACL validation report: sh:conforms, and every result with the fields the spec requires."""
    graph = rdflib.Graph(bind_namespaces="none")
    for prefix, namespace in {
        **canonical_prefixes(),
        "shapes": SHAPES_NS,
        "checks": CHECKS_NS,
    }.items():
        graph.bind(prefix, namespace)
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(not outcome.results)))
    for result in outcome.results:
        node = BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, result.focus))
        graph.add((node, SH.resultSeverity, result.severity))
        graph.add((node, SH.sourceConstraintComponent, result.component))
        graph.add((node, SH.sourceShape, result.source))
        if result.path is not None:
            graph.add((node, SH.resultPath, copy_node(outcome.shapes, result.path, graph)))
        if result.value is not None:
            graph.add((node, SH.value, result.value))
        if result.constraint is not None:
            graph.add((node, SH.sourceConstraint, result.constraint))
        for message in result.messages:
            graph.add((node, SH.resultMessage, message))
    return graph


PATH_PREDICATES = (
    SH.inversePath,
    SH.alternativePath,
    SH.zeroOrMorePath,
    SH.oneOrMorePath,
    SH.zeroOrOnePath,
)


def copy_node(source: rdflib.Graph, node: Node, target: rdflib.Graph) -> Node:
    """A result path, with the blank-node structure of the SHACL path it heads copied into the
    target: a list (a sequence path) or one of the path predicates (SHACL 2.3.1), nothing else the
    node happens to carry."""
    if not isinstance(node, BNode):
        return node
    copy = BNode()
    if (node, RDF.first, None) in source:
        items = [copy_node(source, item, target) for item in source.items(node)]
        rdflib.collection.Collection(target, copy, items)
        return copy
    for predicate in PATH_PREDICATES:
        value = source.value(node, predicate)
        if value is None:
            continue
        if predicate == SH.alternativePath and (value, RDF.first, None) in source:
            items = [copy_node(source, item, target) for item in source.items(value)]
            head = BNode()
            rdflib.collection.Collection(target, head, items)
            target.add((copy, predicate, head))
        else:
            target.add((copy, predicate, copy_node(source, value, target)))
        return copy
    return node


def jsonld_context() -> dict[str, str]:
    return {"sh": str(SH), "xsd": "http://www.w3.org/2001/XMLSchema#", "dakg": "https://w3id.org/dakg/def/",
            "shapes": SHAPES_NS, "checks": CHECKS_NS}  # fmt: skip


# ---------------------------------------------------------------- GitHub Actions


def github_report(outcome: Outcome, lang: str) -> str:
    """One workflow command (::error / ::warning / ::notice) per result, with file and line."""
    lines = []
    for result in outcome.results:
        where = outcome.location(result)
        properties = (
            [f"file={plain(escape_property(relative(where.path)))}", f"line={where.line}"]
            if where
            else []
        )
        properties.append(f"title={plain(escape_property(rule_id(result.source)))}")
        text = f"{short(result.focus)}{result_detail(outcome, result)}: {result.message(lang)}"
        lines.append(
            f"::{GITHUB_COMMANDS.get(result.severity, 'error')} {','.join(properties)}::{plain(escape_data(text))}"
        )
    return "".join(line + "\n" for line in lines)


def result_detail(outcome: Outcome, result: Result) -> str:
    parts = []
    if result.path is not None:
        parts.append(path_text(outcome, result.path))
    if result.value is not None and result.value != result.focus:
        parts.append(term_text(result.value))
    return f" ({' '.join(parts)})" if parts else ""


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


# ---------------------------------------------------------------- JUnit


def shape_names(outcome: Outcome) -> list[Node]:
    """Every named shape and every check: the test cases and the rules."""
    graph = outcome.shapes
    shapes = {
        s for kind in (SH.NodeShape, SH.PropertyShape) for s in graph.subjects(RDF.type, kind)
    }
    shapes |= {r.source for r in outcome.results}
    named = sorted((s for s in shapes if isinstance(s, URIRef)), key=str)
    # a blank node shape with results (a property shape of its own) is a rule too
    named += sorted({r.source for r in outcome.results if isinstance(r.source, BNode)}, key=str)
    return named + [c.iri for c in outcome.checks if c.iri not in shapes]


def junit_report(outcome: Outcome, lang: str, fail_on: str) -> str:
    """JUnit XML: one test case per shape or check, failing on results at or above --fail-on."""
    by_source: dict[Node, list[Result]] = defaultdict(list)
    for result in outcome.results:
        by_source[result.source].append(result)
    names = shape_names(outcome)
    threshold = FAIL_ON[fail_on]
    failures = sum(1 for n in names if any(r.rank >= threshold for r in by_source[n]))
    suites = ET.Element(
        "testsuites", name="dakg validate", tests=str(len(names)), failures=str(failures)
    )
    suite = ET.SubElement(
        suites, "testsuite", name="dakg validate", tests=str(len(names)), failures=str(failures), errors="0",
        skipped="0",
    )  # fmt: skip
    for name in names:
        classname = "checks" if str(name).startswith(CHECKS_NS) else "shapes"
        case = ET.SubElement(suite, "testcase", classname=classname, name=plain(rule_id(name)))
        results = by_source[name]
        failing = [r for r in results if r.rank >= threshold]
        if failing:
            failure = ET.SubElement(
                case, "failure", message=plain(f"{len(failing)} result(s): {failing[0].message(lang)}"),
                type=severity_name(failing[0]),
            )  # fmt: skip
            failure.text = "\n".join(junit_line(outcome, r, lang) for r in failing)
        passing = [r for r in results if r.rank < threshold]
        if passing:
            ET.SubElement(case, "system-out").text = "\n".join(
                junit_line(outcome, r, lang) for r in passing
            )
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def junit_line(outcome: Outcome, result: Result, lang: str) -> str:
    where = outcome.location(result)
    place = f"{relative(where.path)}:{where.line}: " if where else ""
    text = f"{short(result.focus)}{result_detail(outcome, result)}: {result.message(lang)}"
    return plain(f"{place}{severity_name(result)}: {text}")


# ---------------------------------------------------------------- SARIF


def sarif_report(outcome: Outcome, lang: str) -> dict:
    """SARIF 2.1.0: one rule per shape or check, one result per validation result."""
    names = shape_names(outcome)
    index = {name: i for i, name in enumerate(names)}
    rules = [sarif_rule(outcome, name, lang) for name in names]
    results = [sarif_result(outcome, r, index[r.source], lang) for r in outcome.results]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dakg validate",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def sarif_rule(outcome: Outcome, name: Node, lang: str) -> dict:
    graph = outcome.shapes
    check = next((c for c in outcome.checks if c.iri == name), None)
    if check is not None:
        text, full, severity = check.title, check.description or check.title, check.severity
    else:
        messages = {m.language or "": str(m) for m in graph.objects(name, SH.message)}
        comment = graph.value(name, RDFS.comment)
        text = messages.get(lang) or messages.get("") or str(comment or rule_id(name))
        full = str(comment) if comment else text
        severity = graph.value(name, SH.severity) or SH.Violation
    return {
        "id": rule_id(name),
        "name": re.sub(r"[^A-Za-z0-9]", "", rule_id(name)),
        "shortDescription": {"text": text},
        "fullDescription": {"text": full},
        "helpUri": str(name),
        "defaultConfiguration": {"level": SARIF_LEVELS.get(severity, "error")},
    }


def sarif_result(outcome: Outcome, result: Result, rule_index: int, lang: str) -> dict:
    where = outcome.location(result) or Location(outcome.inputs.data[0], 1)
    return {
        "ruleId": rule_id(result.source),
        "ruleIndex": rule_index,
        "level": SARIF_LEVELS.get(result.severity, "error"),
        "message": {
            "text": f"{short(result.focus)}{result_detail(outcome, result)}: {result.message(lang)}"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(relative(where.path), safe="/")},
                    "region": {"startLine": where.line},
                },
                "logicalLocations": [{"fullyQualifiedName": str(result.focus), "kind": "resource"}],
            }
        ],
        "properties": {
            "focusNode": str(result.focus),
            "resultPath": path_text(outcome, result.path),
            "value": term_text(result.value),
            "sourceShape": str(result.source),
            "sourceConstraintComponent": str(result.component),
        },
    }
