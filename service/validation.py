"""SHACL validation and `dakg validate` (to be written)."""

import argparse

from .settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*")


def run(args: argparse.Namespace, settings: Settings) -> int:
    raise NotImplementedError
