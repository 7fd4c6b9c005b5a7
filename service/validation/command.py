"""`dakg validate`: the command over the validation (engine.py) and its reports (reports.py):
its options, the files a run reads, the exit status (0 conforms, 1 results at or above
--fail-on, 2 no verdict)."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from dakg.errors import EXIT_FAIL, EXIT_INPUT, EXIT_OK, DakgError
from dakg.rdf.sources import RdfSourceError, turtle_files
from dakg.settings import Settings
from dakg.validation.engine import check_files, validate
from dakg.validation.focus import changed_focus
from dakg.validation.model import FAIL_ON, FORMATS, Inputs
from dakg.validation.rdfio import load_store
from dakg.validation.reports import plain, render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `dakg validate`."""
    parser.add_argument(
        "paths", nargs="*", type=Path, help="Turtle files or folders (default: data/ttl/)"
    )
    parser.add_argument(
        "--shapes", action="append", type=Path, help="shapes file or folder (default: shapes/)"
    )
    parser.add_argument(
        "--ontology",
        action="append",
        type=Path,
        help="ontology file or folder (default: ontology/)",
    )
    parser.add_argument(
        "--checks",
        action="append",
        type=Path,
        help="SPARQL checks, .rq files or folders (default: queries/checks/)",
    )
    parser.add_argument(
        "--inference", choices=("none", "rdfs"), default="none", help="entailment before validating"
    )
    parser.add_argument(
        "--fail-on",
        choices=tuple(FAIL_ON),
        default="violation",
        help="exit 1 on results at or above this severity",
    )
    parser.add_argument(
        "--format", "-f", choices=FORMATS, default="text", help="report format (default: text)"
    )
    parser.add_argument(
        "--lang", choices=("en", "ja"), default="en", help="language of the messages"
    )
    parser.add_argument(
        "--context",
        action="append",
        type=Path,
        help="Turtle files or folders loaded with the data but not reported on (default for files "
        "of data/ttl/: the rest of data/ttl/)",
    )
    parser.add_argument(
        "--no-context", action="store_true", help="load nothing but the given data and ontology"
    )
    parser.add_argument(
        "--changed-since",
        metavar="GIT_REV",
        help="validate only the nodes of files changed since this revision (and the nodes that link to them)",
    )


def resource_paths(given: list[Path] | None, settings: Settings, default: str) -> list[Path]:
    """The given paths, else the project's folder."""
    return given or [settings.root / default]


def inputs_from(args: argparse.Namespace, settings: Settings) -> tuple[Inputs, list[Path]]:
    """The files a run reads, from the command line and the settings."""
    paths = list(args.paths) or [settings.root / "data" / "ttl"]
    data = turtle_files(paths)
    if not data:
        raise RdfSourceError(", ".join(map(str, paths)), "no Turtle (.ttl) files to validate")
    shapes = turtle_files(resource_paths(args.shapes, settings, "shapes"))
    if not shapes:
        raise RdfSourceError("shapes", "no shapes (.ttl) files")
    ontology = turtle_files(resource_paths(args.ontology, settings, "ontology"))
    data_set = {p.resolve() for p in data}
    ontology = [p for p in ontology if p.resolve() not in data_set]
    checks = check_files(resource_paths(args.checks, settings, "queries/checks"))
    context = [p for p in context_files(args, settings, data) if p.resolve() not in data_set]
    ontology_set = {p.resolve() for p in ontology}
    context = [p for p in context if p.resolve() not in ontology_set]
    inputs = Inputs(tuple(data), tuple(ontology), tuple(shapes), tuple(checks), tuple(context))
    return inputs, paths


def context_files(args: argparse.Namespace, settings: Settings, data: list[Path]) -> list[Path]:
    """The files loaded as context: --context's, none with --no-context, else for files of the
    project's data/ttl/ given by name the rest of data/ttl/ (their references are not dangling)."""
    if args.no_context:
        return []
    if args.context:
        return turtle_files(args.context)
    folder = (settings.root / "data" / "ttl").resolve()
    if not args.paths or not folder.is_dir():
        return []
    if all(p.resolve().is_relative_to(folder) for p in data):
        return turtle_files([folder])
    return []


def run(args: argparse.Namespace, settings: Settings) -> int:
    """`dakg validate`: 0 conforms, 1 results at or above --fail-on, 2 the input could not be read."""
    try:
        return run_validation(args, settings)
    except RdfSourceError as error:  # a file name or a parser's message may hold a line break
        raise RdfSourceError(
            plain(error.path), plain(error.message), error.line, error.column
        ) from None


def run_validation(args: argparse.Namespace, settings: Settings) -> int:
    inputs, paths = inputs_from(args, settings)
    try:
        store = load_store(inputs.loaded)
        focus = (
            changed_focus(args.changed_since, inputs, paths, store) if args.changed_since else None
        )
        outcome = validate(
            inputs,
            inference=args.inference,
            focus=focus,
            store=store,
            allow=settings.federation_allow,
        )
        report = render(outcome, args.format, lang=args.lang, fail_on=args.fail_on)
    except DakgError:  # a refusal with its own message and exit status (dakg.errors)
        raise
    except Exception:  # exit 1 means "results": a crash must not look like one
        traceback.print_exc()
        print("dakg validate: internal error, no verdict", file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(report)
    return EXIT_FAIL if outcome.fails(args.fail_on) else EXIT_OK
