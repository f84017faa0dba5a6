"""How hard the reliability tests push: a short run for CI, a long one for `make soak`.

SHUXIANG_SOAK=1 multiplies the kill rounds and the hypothesis examples; the figures are the
same code, only more of them.
"""

from __future__ import annotations

import os

SOAK = os.environ.get("SHUXIANG_SOAK") == "1"


def rounds(ci: int, soak: int) -> int:
    return soak if SOAK else ci


def examples(ci: int) -> int:
    """Hypothesis examples: modest in CI, twenty times as many in the soak."""
    return ci * 20 if SOAK else ci
