"""Printing the soak: the traffic sent, the faults played, each invariant PASS/FAIL with its counts,
delivery latency outside the fault windows, and peak memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from bench.soak.client import Sent
from bench.soak.faults import Fault
from bench.soak.invariants import EXAMPLES, Check
from bench.stats import percentile


def schedule_lines(faults: Sequence[Fault]) -> list[str]:
    return [f"  {fault.describe()}" for fault in faults]


def traffic_lines(log: Sequence[Sent], actions: dict[str, int], seconds: float) -> list[str]:
    kinds = Counter(s.kind for s in log if s.kind != "setup")
    statuses = Counter(s.status for s in log if s.kind != "setup")
    total = sum(kinds.values())
    lines = [
        f"  {total} requests in {seconds:.0f} s ({total / max(seconds, 1):.1f}/s), answers "
        + ", ".join(f"{status or 'none'}: {n}" for status, n in sorted(statuses.items()))
    ]
    lines.append("  " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    doubles = {k: n for k, n in actions.items() if "(double)" in k}
    if doubles:
        lines.append(
            "  double clicks: " + ", ".join(f"{k.removesuffix(' (double)')} {n}" for k, n in doubles.items())
        )
    acks = [s.ms for s in log if s.kind != "setup" and s.status == 200]
    if acks:
        lines.append(
            f"  ack p50 {percentile(acks, 50):.0f} ms, p99 {percentile(acks, 99):.0f} ms, "
            f"max {max(acks):.0f} ms"
        )
    return lines


def fault_lines(
    faults: Sequence[Fault], served: dict[str, int], web_restarts: int, clock_starts: int
) -> list[str]:
    lines = []
    for fault in faults:
        if fault.started is None:
            lines.append(f"  {fault.describe()}  (not played)")
            continue
        at = datetime.fromtimestamp(fault.started, UTC)
        lines.append(f"  {at:%H:%M:%S} {fault.describe()}" + (f"  [{fault.note}]" if fault.note else ""))
    if served:
        lines.append(
            "  calls the fake Slack faulted: " + ", ".join(f"{k} {n}" for k, n in sorted(served.items()))
        )
    lines.append(
        f"  web workers booted to replace killed ones: {web_restarts}; clock started {clock_starts}×"
    )
    return lines


def check_lines(checks: Sequence[Check]) -> list[str]:
    lines = []
    for check in checks:
        verdict = "PASS" if check.ok else "FAIL"
        counts = f"{check.checked} checked" + (f", {len(check.bad)} bad" if check.bad else "")
        lines.append(f"  {verdict}  {check.name} ({counts})" + (f"; {check.note}" if check.note else ""))
        for example in check.bad[:EXAMPLES]:
            lines.append(f"          - {example}")
        if len(check.bad) > EXAMPLES:
            lines.append(f"          … and {len(check.bad) - EXAMPLES} more")
        if check.excused:
            lines.append(f"          accounted for by a permanent fault: {len(check.excused)}")
            for example in check.excused[:EXAMPLES]:
                lines.append(f"          ~ {example}")
            if len(check.excused) > EXAMPLES:
                lines.append(f"          … and {len(check.excused) - EXAMPLES} more")
    return lines


def latency_lines(quiet: Sequence[float], total: int) -> list[str]:
    if not quiet:
        return [f"  no delivery outside the fault windows (of {total})"]
    return [
        f"  {len(quiet)} of {total} deliveries outside fault windows: p50 {percentile(quiet, 50):.2f} s, "
        f"p99 {percentile(quiet, 99):.2f} s, max {max(quiet):.2f} s (queued to delivered)"
    ]
