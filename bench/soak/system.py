"""The system under test, as a deployment runs it: `python -m bot web` (gunicorn, 2 workers) and
`python -m bot clock`, against the soak's fake Slack, each in its own process on loopback. Clock
is supervised: whenever it exits (killed, or crashed), it is started again after a second."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.load import REPO, clean_env
from bench.processes import Server, free_port
from bench.rss import TreePeak, children

START_TIMEOUT = 90.0
BOT_TOKEN = "xoxb-soak"


class System:
    def __init__(
        self,
        *,
        workdir: Path,
        log_dir: Path,
        database_url: str,
        world: dict,
        seed: int,
        secret: str,
        settings: dict[str, str],
    ) -> None:
        self.log_dir = log_dir
        self.slack_port, self.web_port = free_port(), free_port()
        self.slack_url = f"http://127.0.0.1:{self.slack_port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        world_file = workdir / "world.json"
        world_file.write_text(json.dumps(world))
        self.workdir = workdir
        self.env = (
            clean_env()
            | {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": secret,
                "SLACK_API_URL": f"{self.slack_url}/api/",
                "DATABASE_URL": database_url,
                "PORT": str(self.web_port),
                "BIND_HOST": "127.0.0.1",
                "WEB_CONCURRENCY": "2",
            }
            | settings
        )
        self.slack = Server(
            "fake-slack",
            [
                sys.executable,
                "-m",
                "bench.soak.slack",
                "--port",
                str(self.slack_port),
                "--world",
                str(world_file),
                "--seed",
                str(seed),
            ],
            env=clean_env() | {"PYTHONPATH": str(REPO)},
            cwd=REPO,
            log=log_dir / "slack.log",
        )
        self.web: Server | None = None
        self.clock: Server | None = None
        self.clock_starts = 0
        self.web_peak: TreePeak | None = None
        self.clock_peak_mb = 0.0
        self._clock_peak: TreePeak | None = None
        self._lock = threading.Lock()
        self._supervising = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)

    def start(self) -> None:
        self.slack.wait_for_lines("soak slack ready", 1, START_TIMEOUT)
        # cwd: a directory with no .env in it, so only these settings apply.
        self.web = Server(
            "web",
            [sys.executable, "-m", "bot", "web"],
            env=self.env,
            cwd=self.workdir,
            log=self.log_dir / "web.log",
        )
        self.web_peak = TreePeak(self.web.pid).start()
        self.web.wait_for_lines(" ready; ", 2, START_TIMEOUT)
        self.web.wait_for_http(f"{self.web_url}/healthz", START_TIMEOUT, ok=(200, 503))
        self._start_clock()
        assert self.clock is not None
        self.clock.wait_for_lines("clock: running", 1, START_TIMEOUT)
        self._supervising.set()
        self._supervisor.start()

    def _start_clock(self) -> None:
        with self._lock:
            if self._clock_peak is not None:
                self.clock_peak_mb = max(self.clock_peak_mb, self._clock_peak.stop())
            self.clock_starts += 1
            self.clock = Server(
                "clock",
                [sys.executable, "-m", "bot", "clock"],
                env=self.env,
                cwd=self.workdir,
                log=self.log_dir / f"clock-{self.clock_starts}.log",
            )
            self._clock_peak = TreePeak(self.clock.pid).start()

    def _supervise(self) -> None:
        while self._supervising.is_set():
            clock = self.clock
            if clock is not None and clock.process.poll() is not None:
                time.sleep(1.0)
                if self._supervising.is_set():
                    self._start_clock()
            time.sleep(0.2)

    def web_workers(self) -> list[int]:
        return children(self.web.pid) if self.web else []

    def kill_clock(self) -> int | None:
        clock = self.clock
        if clock is None or clock.process.poll() is not None:
            return None
        os.kill(clock.pid, signal.SIGKILL)
        return clock.pid

    def deliveries(self, *args: str) -> str:
        """What `python -m bot deliveries` prints about the bot's database, as an operator runs it."""
        done = subprocess.run(
            [sys.executable, "-m", "bot", "deliveries", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"python -m bot deliveries {' '.join(args)} exited {done.returncode}: {done.stderr}"
            )
        return done.stdout

    def web_restarts(self) -> int:
        """Workers gunicorn booted beyond the first two (one per worker it replaced)."""
        return max(0, self.web.log_text().count(" ready; ") - 2) if self.web else 0

    def peak_mb(self) -> tuple[float, float]:
        """Peak RSS of web (master and workers at one moment) and of clock (any of its lives)."""
        web = self.web_peak.mb if self.web_peak else 0.0
        clock = max(self.clock_peak_mb, self._clock_peak.mb if self._clock_peak else 0.0)
        return web, clock

    def stop(self) -> None:
        self._supervising.clear()
        if self._supervisor.is_alive():
            self._supervisor.join(5)
        with self._lock:
            if self._clock_peak is not None:
                self.clock_peak_mb = max(self.clock_peak_mb, self._clock_peak.stop())
                self._clock_peak = None
            if self.web_peak is not None:
                self.web_peak.stop()
        for server in (self.clock, self.web, self.slack):
            if server is not None:
                server.stop()
