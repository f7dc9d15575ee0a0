"""The clinical guide that some tests compare with, where it lies beside the clone.

The guide lives in ``../shared/seed/`` for the developers and CI, never in a user's clone: a test
that needs it skips with the reason there, and fails in CI (``CI`` set), where it must be present.
"""

import os
from pathlib import Path

import pytest

GUIDE_PATH = Path(__file__).resolve().parents[2] / "shared" / "seed" / "milia-treatment-guide.txt"


def guide_text() -> str:
    """The guide's text; skip the calling test without it (fail in CI)."""
    if GUIDE_PATH.is_file():
        return GUIDE_PATH.read_text(encoding="utf-8")
    if os.environ.get("CI"):
        pytest.fail(f"CI must have the clinical guide beside the clone: {GUIDE_PATH}")
    pytest.skip(
        "the clinical guide ../shared/seed/milia-treatment-guide.txt is not beside this clone"
    )
