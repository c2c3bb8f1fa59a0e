"""The fault soak (bench/soak), one minute on each database: it passes when every invariant holds.

Not a timed test: the soak runs what a deployment runs against a fake Slack while faults are
played, then exits 1 if an invariant fails (0 when all hold, 2 when it could not run); its
report is the failure's message. The seed is fixed, so a failure here is rerun with the command
the message shows. The drain is bounded, and the whole run with it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEED = 11
# The longest wait for the queue to empty after the traffic, s; the run takes 3 to 4 minutes.
DRAIN = 120
RUN_TIMEOUT = 600


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_one_minute_soak_holds_every_invariant(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    command = ["-m", "bench.soak", "--minutes", "1", "--seed", str(SEED), "--drain", str(DRAIN)]
    if database == "postgresql":
        # The soak makes (and drops) its own database beside this one, on the same server.
        command += ["--database-url", request.getfixturevalue("pg_database")]
    command += ["--log-dir", str(tmp_path / "logs")]
    done = subprocess.run(
        [sys.executable, *command], cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    report = f"python {' '.join(command)}\nexit {done.returncode}\n{done.stdout}\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    assert "\nPASS: " in done.stdout, report
