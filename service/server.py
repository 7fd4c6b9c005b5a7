"""`dakg serve` (to be written)."""

import argparse

from .settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)


def run(args: argparse.Namespace, settings: Settings) -> int:
    raise NotImplementedError
