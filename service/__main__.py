"""`python -m dakg`: the dakg command."""

import sys

from .cli import command

sys.exit(command())
