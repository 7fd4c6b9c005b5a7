"""The `dakg` command: query, fmt, validate, serve."""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

import pyoxigraph as ox
from dakg.errors import EXIT_FAIL, EXIT_INPUT, EXIT_OK, DakgError
from dakg.execution import sandbox
from dakg.rdf.sources import RDF_DIRS, turtle_files
from dakg.settings import Settings
from dakg.store import load
from dakg.validation import command as validate
from dakg.web import server

# Commands that need no network: they run with none (sandbox.py).
OFFLINE_COMMANDS = frozenset({"validate", "fmt"})


def cmd_fmt(args: argparse.Namespace, settings: Settings) -> int:
    from dakg.rdf.turtle import format_files

    # The project's folders by their own paths (in a checkout, service/project/ links to them).
    targets = [Path(p) for p in args.paths] or [(settings.root / d).resolve() for d in RDF_DIRS]
    files = turtle_files(targets)
    changed = format_files(files, check=args.check)
    for path in changed:
        verb = "would reformat" if args.check else "reformatted"
        print(f"{verb} {path}", file=sys.stderr if args.check else sys.stdout)
    if args.check and changed:
        print(
            f"{len(changed)} of {len(files)} files are not in canonical layout; run `dakg fmt`.",
            file=sys.stderr,
        )
        return EXIT_FAIL
    return EXIT_OK


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from dakg.sparql.library import adhoc_query, check_entities, load_query, run_query
    from dakg.sparql.results import render
    from dakg.store.dataset import Dataset

    source = "-q" if args.text is not None else args.query
    # A parameter, a query file or the store at fault is a DakgError: `main` reports it.
    try:
        query = read_query(args, settings, load_query, adhoc_query)
        params = dict(parse_param(p) for p in args.param)
        bindings = query.bindings(params)
        dataset = Dataset.open(
            settings.root, args.store or settings.store, settings.query_timeout, read_only=True
        )
        check_entities(query, bindings, partial(entity_known, dataset))
        result = run_query(dataset.store, query, params)
    except SyntaxError as error:
        print(f"dakg query: {source}: the query does not parse: {error}", file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(render(result, args.format))
    return EXIT_OK


def read_query(args: argparse.Namespace, settings: Settings, load_query, adhoc_query):
    """The query to run: `-q TEXT`, `-` (standard input), a saved query's name or an .rq file."""
    from dakg.sparql.library import ParameterError

    if (args.text is None) == (args.query is None):
        raise ParameterError(
            "give one query: a saved query's name, an .rq file, '-' for standard input, "
            "or -q 'SELECT ...'",
            "query",
        )
    if args.text is not None:
        text, source = args.text, "-q"
    elif args.query == "-":
        text, source = sys.stdin.read(), "stdin"
    else:
        return load_query(args.query, settings.queries_dir)
    if not text.strip():
        raise ParameterError(f"the query ({source}) is empty", "query")
    return adhoc_query(text, source)


def entity_known(dataset, entity) -> bool:
    """Whether the graph mentions an IRI at all (service/sparql/rq/resources/exists.rq)."""
    from dakg.packaged import internal_queries
    from dakg.sparql.library import parse_query_file

    exists = parse_query_file(internal_queries("resources") / "exists.rq")
    return bool(dataset.query(exists.text, substitutions={ox.Variable("entity"): entity}))


def parse_param(text: str) -> tuple[str, str]:
    from dakg.sparql.library import ParameterError

    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ParameterError(f"--param {text!r}: expected NAME=VALUE")
    return name.strip(), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dakg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "query", help="run a saved query (a name in queries/), an .rq file, or a query's text"
    )
    p.add_argument(
        "query",
        nargs="?",
        help="saved query name (e.g. initiatives-by-pillar), path to an .rq file (its header "
        "is optional), or - to read the query from standard input",
    )
    p.add_argument(
        "-q", "--query-text", dest="text", metavar="SPARQL", help="the query itself, as text"
    )
    p.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--format", "-f", choices=("table", "json", "csv", "tsv"), default="table")
    p.add_argument(
        "--store", default=None, help="memory (default), oxigraph:PATH or sparql:URL (DAKG_STORE)"
    )
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("fmt", help="write (or --check) the canonical Turtle layout")
    p.add_argument(
        "paths", nargs="*", help="files or folders (default: ontology/, data/ttl/, shapes/)"
    )
    p.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file is not canonical"
    )
    p.set_defaults(func=cmd_fmt)
    # Commands whose options and behaviour live in their own modules.
    for name, module, text in (
        ("validate", validate, "check the data against the SHACL shapes and queries/checks/"),
        ("serve", server, "serve the graph over HTTP (SPARQL endpoint, linked data, API)"),
        ("load", load, "push the graph into an on-disk store or an external SPARQL engine"),
    ):
        p = sub.add_parser(name, help=text)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args, Settings.from_env())
    except DakgError as error:  # the error's class says the exit status (dakg.errors)
        print(f"dakg {args.command}: {error}", file=sys.stderr)
        return error.exit_code


def command(argv: list[str] | None = None) -> int:
    """The `dakg` command itself: `main`, with no network for the commands that need none, so
    that what they read (the shapes' SPARQL) cannot make them fetch an address. (The filter lasts
    as long as the process: `main` called from Python leaves its caller as it was.)"""
    args = sys.argv[1:] if argv is None else argv
    if (
        args
        and args[0] in OFFLINE_COMMANDS
        and not os.environ.get("DAKG_FEDERATION_ALLOW", "").strip()
    ):
        try:
            sandbox.deny_network()
        except sandbox.SandboxUnavailable as error:
            print(f"dakg {args[0]}: {error}", file=sys.stderr)
    return main(argv)


if __name__ == "__main__":
    sys.exit(command())
