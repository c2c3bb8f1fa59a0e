"""Peak resident memory of a process tree, read from /proc (Linux), sampled in the background.

Each process's own peak is its VmHWM; the tree's figure is the sum of those peaks over every
process seen in the tree while sampling (gunicorn's master and its workers). Shared pages are
counted once per process, as RSS always does.
"""

from __future__ import annotations

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


def peak_kb(pid: int) -> int | None:
    """VmHWM of `pid` in kB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class TreePeak:
    """Samples the tree under a root pid every `interval` s until stopped; `mb` is the sum of peaks."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        self.root = root
        self.interval = interval
        self._peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> TreePeak:
        self._thread.start()
        return self

    def sample(self) -> None:
        for pid in tree(self.root):
            kb = peak_kb(pid)
            if kb is not None:
                self._peaks[pid] = max(kb, self._peaks.get(pid, 0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> float:
        """Stop sampling (one last sample first) and return the summed peak in MB."""
        self.sample()
        self._stop.set()
        self._thread.join(5)
        return self.mb

    @property
    def mb(self) -> float:
        return sum(self._peaks.values()) / 1024

    @property
    def processes(self) -> int:
        return len(self._peaks)
