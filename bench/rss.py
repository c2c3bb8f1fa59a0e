"""Peak resident memory of a process tree, read from /proc (Linux), sampled in the background.

The figure is the largest sum, at one sampling moment, of the resident memory (VmRSS) of every
process then in the tree (gunicorn's master and its workers): what a container's memory limit
sees. Summing each process's own peak (VmHWM) instead would add peaks from different moments,
and count the memory `python -m bot web` used for its checks and migrations before it replaced
itself with gunicorn's master (the same pid keeps its high-water mark across `exec`). Shared
pages are counted once per process, as RSS always does.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def children(pid: int) -> list[int]:
    """The direct children of `pid`, from /proc/<pid>/task/*/children."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def tree(pid: int, *, limit: int = 256) -> list[int]:
    """`pid` and its descendants (at most `limit` processes)."""
    pids, queue = [], [pid]
    while queue and len(pids) < limit:
        current = queue.pop()
        pids.append(current)
        queue.extend(children(current))
    return pids


def rss_kb(pid: int) -> int | None:
    """VmRSS of `pid` in kB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def cpu_seconds(root: int) -> float:
    """User + system CPU time so far of `root` and its descendants now alive, from /proc/<pid>/stat."""
    ticks = 0
    for pid in tree(root):
        try:
            # The command name (field 2) may hold spaces: split after its closing parenthesis.
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


class TreePeak:
    """Samples the tree under a root pid every `interval` s until stopped; `mb` is the largest
    summed RSS seen at one moment."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root = root
        self.interval = interval
        self._peak_kb = 0
        self._seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> TreePeak:
        self._thread.start()
        return self

    def sample(self) -> None:
        total = 0
        for pid in tree(self.root):
            kb = rss_kb(pid)
            if kb is not None:
                total += kb
                self._seen.add(pid)
        self._peak_kb = max(self._peak_kb, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> float:
        """Stop sampling (one last sample first) and return the peak in MB."""
        self.sample()
        self._stop.set()
        self._thread.join(5)
        return self.mb

    @property
    def mb(self) -> float:
        return self._peak_kb / 1024

    @property
    def processes(self) -> int:
        return len(self._seen)
