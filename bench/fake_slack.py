"""The tests' fake Slack Web API, served alone in its own process for the load benchmark.

    .venv/bin/python -m bench.fake_slack --port 8765 [--post-delay 2]

It answers like tests/fakeslack.py's FakeSlack (which it reuses unchanged), and adds
`GET /bench/posts`: `{"posts": <chat.postMessage calls so far>, "last": <time.time() of the
last one's arrival, or null>}`, so the benchmark can tell when the last card was posted. A
post counts when it arrives, as it shows in the channel then; `--post-delay` delays only the
answer, as a slow Slack does.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakeslack import FakeSlack


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The stdlib default of 5 drops connections under a burst of posts (the client then waits
    # for a SYN retransmission): that would measure the fake, not the bot.
    request_queue_size = 512


class BenchSlack(FakeSlack):
    """FakeSlack on a given loopback port, counting chat.postMessage arrivals."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.posts = 0
        self.last_post: float | None = None
        self._server.server_close()  # the one FakeSlack bound to a random port
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _answer(self, method: str, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        # Called with the lock held, as each call arrives.
        if method == "chat.postMessage":
            self.posts += 1
            self.last_post = time.time()
        return super()._answer(method, args, token)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        base = super()._handler()

        class Handler(base):  # type: ignore[valid-type,misc]
            def do_GET(self) -> None:
                if self.path != "/bench/posts":
                    self.send_error(404)
                    return
                with fake._lock:
                    payload = json.dumps({"posts": fake.posts, "last": fake.last_post}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--post-delay", type=float, default=0.0, help="seconds chat.postMessage answers late")
    args = parser.parse_args(argv)
    slack = BenchSlack(args.port)
    if args.post_delay:
        slack.slow("chat.postMessage", args.post_delay)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    slack.start()
    print(f"fake slack ready on {slack.api_url}", flush=True)
    stop.wait()
    slack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
