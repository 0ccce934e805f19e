"""python -m minigan.evaluate: see minigan/evaluate/report.py."""

import sys

from .report import main

sys.exit(main())
