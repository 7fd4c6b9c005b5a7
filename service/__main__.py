"""`python -m dakg`: the dakg command."""

import sys

from .cli import main

sys.exit(main())
