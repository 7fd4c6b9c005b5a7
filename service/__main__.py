"""`python -m dakg`: the dakg command."""

import sys

from dakg.cli import command

sys.exit(command())
