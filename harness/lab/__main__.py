"""`python -m harness.lab ...` is `fingerprint lab ...`."""

import sys

from harness.cli import main

sys.exit(main(["lab", *sys.argv[1:]]))
