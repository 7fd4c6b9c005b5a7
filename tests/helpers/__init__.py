"""What the tests share: the project's root and fixtures folder, a live `dakg serve`
(helpers/server.py), a real Oxigraph server and `dakg load` (helpers/engine.py), and the W3C SHACL
test suite (helpers/shacl_suite.py)."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
