from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# The command line speaks zh-TW unless told otherwise (refvote.messages); the tests that read
# its English output ask for English here, and the zh-TW tests remove this setting.
os.environ["REFVOTE_LANG"] = "en"

# Property tests: no deadlines (the machine may be busy: timings belong in `make bench`).
settings.register_profile(
    "default",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=600,
    suppress_health_check=[HealthCheck.too_slow],
)
# `make fuzz`: the fuzzers of outside input, long (tests/test_fuzz_*.py and the other @given
# parser tests).
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def pcscd() -> Iterator[None]:
    """A real pcscd with vsmartcard-vpcd's virtual readers, started if none is running."""
    from tests.hardware_helpers import running_pcscd

    yield from running_pcscd()
