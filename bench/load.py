"""Benchmark: `/experiment propose` at 32 concurrent clients, the bot against Bolt baselines.

The baseline that counts is `outbox`: the least code with the bot's guarantees. The bot's
targets are throughput >= 1.0x and ack p99 <= 1.0x of it, in both scenarios.

Four servers, each under gunicorn with the same settings (2 workers, gthread, the same thread
count), are driven over correctly signed HTTP on loopback, one after another in every round:

- outbox (bench/apps/outbox.py): Bolt verifies the signature; the listener inserts the
  experiment and an outbox row in one stdlib sqlite3 transaction and acks; a delivery loop and
  pool in each worker process (as many threads as the bot's DELIVERY_THREADS) claims due rows
  with one UPDATE ... RETURNING under SQLite's write lock (safe across processes; a lease lets
  another process take over a dead claimant's rows), renders the card from the database, posts
  it, records its ts, and retries a failed post with backoff. SQLite only, by definition: with
  --database-url the bot runs on PostgreSQL and the outbox baseline still on SQLite;
- bare: a Bolt app (Bolt's defaults) that only acks: the floor of the framework;
- same-work (bench/apps/same_work.py): a naive Bolt app (Bolt's defaults) that inserts, acks,
  posts inline and stores the ts. Not like work: when Slack is slow it loses commands to
  Slack's 3 s time-out, and a card whose post fails is never posted. For reference only;
- bot: the real `python -m bot web`, with pacing off (DELIVERY_RATE_PER_CHANNEL=0: the fake
  Slack has no rate limit), so it posts every card as soon as it can, as the baselines do.

Each talks to a fake Slack Web API (tests/fakeslack.py) in its own process, and every card
posted is counted there. Scenario A has a fast Slack; in scenario B chat.postMessage answers
2 s late. Figures are medians over the rounds; compare ratios within one run, as the machine's
speed varies. A full run (the defaults: 3 rounds, 2000 + 300 requests) takes about 12 minutes
on 2 cores:

    .venv/bin/python -m bench.load [--rounds 3] [--requests 2000] [--slow-requests 300]
                                   [--variants outbox,bot] [--database-url postgresql+psycopg://...]

A smoke run: `--rounds 1 --requests 200 --slow-requests 40 --post-delay 0.5`.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
from slack_sdk.signature import SignatureVerifier

from bench import databases
from bench.apps.schema import create as create_schema
from bench.processes import Server, free_port
from bench.rss import TreePeak, cpu_seconds
from bench.signing import command_body, signed_headers
from bench.stats import median_of, percentile, ratio
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
VARIANTS = ("outbox", "bare", "same-work", "bot")
CARD_VARIANTS = ("outbox", "same-work", "bot")
# The baseline the bot's targets are measured against.
BASELINE = "outbox"
CHANNEL = "C0BENCH"
SLACK_DEADLINE_MS = 3000.0
BOT_TOKEN = "xoxb-bench"
# Bounds on every wait, whatever happens.
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
LOAD_DEADLINE = 300.0


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    requests: int
    post_delay: float


@dataclass(frozen=True)
class Config:
    clients: int
    threads: int
    workers: int
    card_wait: float
    database_url: str | None
    log_dir: Path
    bot_settings: dict[str, str]  # extra settings for the bot (--bot-setting), e.g. its sizing


@dataclass
class LoadResult:
    latencies_ms: list[float]
    statuses: list[int]
    elapsed: float  # from the first request sent to the last answer received
    end_wall: float  # time.time() of the last answer

    @property
    def throughput(self) -> float:
        return len(self.statuses) / self.elapsed if self.elapsed > 0 else math.nan

    @property
    def non_200(self) -> int:
        return sum(1 for s in self.statuses if s != 200)

    @property
    def over_3s(self) -> int:
        """Answers (of any status) that took longer than Slack waits: Slack shows an error."""
        return sum(1 for ms in self.latencies_ms if ms > SLACK_DEADLINE_MS)


@dataclass
class RoundResult:
    variant: str
    sent: int
    throughput: float
    p50: float
    p95: float
    p99: float
    max_ms: float
    non_200: int
    over_3s: int
    cards: int | None  # chat.postMessage calls seen (None: this variant posts none)
    last_card_s: float | None  # from the end of the load to the last card; None if not all came
    rss_mb: float
    processes: int
    # The server tree's CPU time (all its processes, user + system) from the first request until
    # the last card, per request: the work the bot does per proposal, on a CPU it shares.
    cpu_ms_per_request: float


# -- the load ---------------------------------------------------------------------------------


def run_load(url: str, secret: str, n: int, clients: int, response_base: str) -> LoadResult:
    """Send `n` signed `/experiment propose` commands from `clients` threads, one Session each."""
    verifier = SignatureVerifier(secret)
    counter = itertools.count()
    results: list[tuple[float, int, float, float] | None] = [None] * n
    barrier = threading.Barrier(clients + 1)
    stop_at = time.monotonic() + LOAD_DEADLINE

    def client(number: int) -> None:
        with requests.Session() as session:
            barrier.wait()
            while time.monotonic() < stop_at:
                i = next(counter)
                if i >= n:
                    return
                body = command_body(
                    "/experiment",
                    f"propose Bench {i}: adding retrieval improves answer accuracy by 10%",
                    channel=CHANNEL,
                    user=f"U{number:04d}",
                    response_url=f"{response_base}/response/{i}",
                )
                headers = signed_headers(verifier, body)
                start = time.perf_counter()
                try:
                    status = session.post(
                        url, data=body.encode(), headers=headers, timeout=REQUEST_TIMEOUT
                    ).status_code
                except requests.RequestException:
                    status = 0
                end = time.perf_counter()
                results[i] = ((end - start) * 1000, status, end, time.time())

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(LOAD_DEADLINE + REQUEST_TIMEOUT)
    done = [r for r in results if r is not None]
    if not done:
        raise RuntimeError("no request completed")
    return LoadResult(
        latencies_ms=[r[0] for r in done],
        statuses=[r[1] for r in done],
        elapsed=max(r[2] for r in done) - started,
        end_wall=max(r[3] for r in done),
    )


def wait_for_cards(slack_url: str, expected: int, end_wall: float, cap: float) -> tuple[int, float | None]:
    """Poll the fake Slack until `expected` cards were posted or `cap` s after the load ended.

    Returns the count, and the seconds from the end of the load to the last card (0 when it came
    before the load ended; None when not all came)."""
    seen, last = 0, None
    while True:
        state = requests.get(f"{slack_url}/bench/posts", timeout=5).json()
        seen, last = state["posts"], state["last"]
        if seen >= expected or time.time() > end_wall + cap:
            break
        time.sleep(0.05)
    if seen < expected or last is None:
        return seen, None
    return seen, max(0.0, last - end_wall)


# -- the servers --------------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """This environment without anything the bot reads as a setting."""
    settings = {name.upper() for name in Settings.model_fields}
    return {k: v for k, v in os.environ.items() if k not in settings and not k.startswith("BENCH_")}


def gunicorn_argv(module: str, port: int, config: Config) -> list[str]:
    """The bot's own gunicorn options (bot/web.py, bot/gunicorn_conf.py), bound to loopback."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(config.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(config.threads),
        "--timeout",
        "30",
        "--access-logfile",
        "-",
        # The bot disables it too; with it, runs in parallel would share ~/.gunicorn/gunicorn.ctl.
        "--no-control-socket",
        f"bench.apps.{module}:app",
    ]


def delivery_threads(config: Config) -> int:
    """The bot's delivery threads per process: its default, or what --bot-setting says."""
    value = config.bot_settings.get("DELIVERY_THREADS")
    return int(value) if value else int(Settings.model_fields["delivery_threads"].default)


def start_variant(
    variant: str, *, port: int, slack_api: str, secret: str, workdir: Path, config: Config, tag: str
) -> Server:
    env = clean_env()
    log = config.log_dir / f"{tag}-{variant}.log"
    if variant == "bot":
        env |= {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack_api,
            "DATABASE_URL": (workdir / "database_url").read_text(),
            "PORT": str(port),
            "WEB_CONCURRENCY": str(config.workers),
            "WEB_THREADS": str(config.threads),
            "DELIVERY_RATE_PER_CHANNEL": "0",
        } | config.bot_settings
        # cwd: a directory with no .env in it, so only these settings apply.
        return Server("bot", [sys.executable, "-m", "bot", "web"], env=env, cwd=workdir, log=log)
    env |= {
        "PYTHONPATH": str(REPO),
        "BENCH_SIGNING_SECRET": secret,
        "BENCH_SLACK_API_URL": slack_api,
        "BENCH_DB_PATH": str(workdir / f"{variant}.db"),
        # As many threads sending as the bot has.
        "BENCH_DELIVERY_THREADS": str(delivery_threads(config)),
    }
    module = {"bare": "bare", "same-work": "same_work", "outbox": "outbox"}[variant]
    return Server(variant, gunicorn_argv(module, port, config), env=env, cwd=REPO, log=log)


def wait_ready(server: Server, variant: str, port: int, config: Config) -> None:
    """Every worker has built its app (each logs a line once it has), and HTTP answers."""
    if variant == "bot":
        # Logged by each worker once its app is built (bot/web.py).
        server.wait_for_lines(" ready; ", config.workers, START_TIMEOUT)
        server.wait_for_http(f"http://127.0.0.1:{port}/healthz", START_TIMEOUT, ok=(200,))
    else:
        server.wait_for_lines("bench-app-ready", config.workers, START_TIMEOUT)
        server.wait_for_http(f"http://127.0.0.1:{port}/", START_TIMEOUT)


def prepare_database(variant: str, workdir: Path, config: Config, tag: str) -> str | None:
    """A fresh database for this run; returns a PostgreSQL URL to drop afterwards, if one was made."""
    if variant in ("same-work", "outbox"):
        create_schema(str(workdir / f"{variant}.db"))
    if variant != "bot":
        return None
    if config.database_url:
        url = databases.create_fresh(config.database_url, tag.replace("-", "_"))
        (workdir / "database_url").write_text(url)
        return url
    (workdir / "database_url").write_text(f"sqlite:///{workdir / 'bot.db'}")
    return None


def run_round(variant: str, scenario: Scenario, config: Config, round_no: int) -> RoundResult:
    tag = f"{scenario.key}{round_no}"
    secret = secrets.token_hex(16)
    slack_port, port = free_port(), free_port()
    slack_url = f"http://127.0.0.1:{slack_port}"
    with tempfile.TemporaryDirectory(prefix=f"bench-{tag}-{variant}-") as tmp:
        workdir = Path(tmp)
        fake_argv = [sys.executable, "-m", "bench.fake_slack", "--port", str(slack_port)]
        if scenario.post_delay:
            fake_argv += ["--post-delay", str(scenario.post_delay)]
        fake = Server(
            "fake-slack",
            fake_argv,
            env=clean_env() | {"PYTHONPATH": str(REPO)},
            cwd=REPO,
            log=config.log_dir / f"{tag}-{variant}-slack.log",
        )
        pg_url: str | None = None
        try:
            fake.wait_for_lines("fake slack ready", 1, START_TIMEOUT)
            pg_url = prepare_database(variant, workdir, config, tag)
            server = start_variant(
                variant,
                port=port,
                slack_api=f"{slack_url}/api/",
                secret=secret,
                workdir=workdir,
                config=config,
                tag=tag,
            )
            sampler = TreePeak(server.pid).start()
            try:
                wait_ready(server, variant, port, config)
                cpu_before = cpu_seconds(server.pid)
                load = run_load(
                    f"http://127.0.0.1:{port}/slack/events",
                    secret,
                    scenario.requests,
                    config.clients,
                    slack_url,
                )
                cards: int | None = None
                last_card: float | None = None
                if variant in CARD_VARIANTS:
                    cards, last_card = wait_for_cards(
                        slack_url, scenario.requests, load.end_wall, config.card_wait
                    )
                cpu = cpu_seconds(server.pid) - cpu_before
                rss = sampler.stop()
            finally:
                sampler.stop()
                server.stop()
        finally:
            fake.stop()
            if pg_url is not None and config.database_url:
                databases.drop(config.database_url, pg_url)
    lat = load.latencies_ms
    return RoundResult(
        variant=variant,
        sent=len(load.statuses),
        throughput=load.throughput,
        p50=percentile(lat, 50),
        p95=percentile(lat, 95),
        p99=percentile(lat, 99),
        max_ms=max(lat),
        non_200=load.non_200,
        over_3s=load.over_3s,
        cards=cards,
        last_card_s=last_card,
        rss_mb=rss,
        processes=sampler.processes,
        cpu_ms_per_request=cpu * 1000 / scenario.requests,
    )


# -- printing ------------------------------------------------------------------------------------


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


def _cards(r: RoundResult | None, n: int, cards: float | None, last: float | None) -> str:
    if cards is None:
        return "-"
    if cards >= n and last is not None:
        return f"{last:.2f} s ({int(cards)}/{n})"
    return f"{int(cards)} of {n} cards"


HEADER = (
    f"{'variant':<13} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
    f"{'non-200':>7} {'>3 s':>5} {'last card after load':>22} {'RSS MB':>7} {'CPU ms/req':>10}"
)


def row_line(label: str, r: RoundResult, n: int) -> str:
    return (
        f"{label:<13} {_num(r.throughput, '7.0f')} {_num(r.p50, '8.1f')} {_num(r.p95, '8.1f')} "
        f"{_num(r.p99, '8.1f')} {_num(r.max_ms, '8.0f')} "
        f"{r.non_200:>7} {r.over_3s:>5} {_cards(r, n, r.cards, r.last_card_s):>22} "
        f"{_num(r.rss_mb, '7.0f')} {_num(r.cpu_ms_per_request, '10.2f')}"
    )


def median_round(variant: str, rounds: Sequence[RoundResult]) -> RoundResult:
    def med(get: Callable[[RoundResult], float | None]) -> float | None:
        return median_of([get(r) for r in rounds])

    cards = med(lambda r: r.cards)
    last_values = [r.last_card_s for r in rounds]
    # A round whose cards did not all come has no time: the median is unknown if most did not.
    incomplete = sum(1 for v in last_values if v is None)
    last = (
        None
        if incomplete * 2 > len(rounds)
        else median_of([v if v is not None else math.inf for v in last_values])
    )
    return RoundResult(
        variant=variant,
        sent=int(med(lambda r: r.sent) or 0),
        throughput=med(lambda r: r.throughput) or math.nan,
        p50=med(lambda r: r.p50) or math.nan,
        p95=med(lambda r: r.p95) or math.nan,
        p99=med(lambda r: r.p99) or math.nan,
        max_ms=med(lambda r: r.max_ms) or math.nan,
        non_200=int(med(lambda r: r.non_200) or 0),
        over_3s=int(med(lambda r: r.over_3s) or 0),
        cards=None if cards is None else int(cards),
        last_card_s=last,
        rss_mb=med(lambda r: r.rss_mb) or math.nan,
        processes=max(r.processes for r in rounds),
        cpu_ms_per_request=med(lambda r: r.cpu_ms_per_request) or math.nan,
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _ratios(bot: RoundResult, base: RoundResult) -> str:
    return (
        f"throughput {_num(ratio(bot.throughput, base.throughput), '.2f')}x, "
        f"ack p99 {_num(ratio(bot.p99, base.p99), '.2f')}x"
    )


def report(
    scenarios: Sequence[Scenario], results: dict[str, dict[str, list[RoundResult]]], config: Config
) -> bool:
    """Print the medians, the ratios and one check line per target; True when all pass."""
    medians: dict[str, dict[str, RoundResult]] = {}
    for scenario in scenarios:
        rounds = results[scenario.key]
        medians[scenario.key] = {v: median_round(v, rounds[v]) for v in VARIANTS if rounds.get(v)}
        n_rounds = max(len(r) for r in rounds.values())
        print()
        print(f"== Scenario {scenario.key}: {scenario.title}: median of {n_rounds} rounds ==")
        print(HEADER)
        for variant, r in medians[scenario.key].items():
            print(row_line(variant, r, scenario.requests))
        bot = medians[scenario.key].get("bot")
        base, same = medians[scenario.key].get(BASELINE), medians[scenario.key].get("same-work")
        if bot and base:
            print(f"bot/outbox (the baseline that counts): {_ratios(bot, base)}")
        if bot and same:
            print(
                f"bot/same-work (naive, loses commands when Slack is slow; reference): {_ratios(bot, same)}"
            )

    print()
    print("== Targets, for the bot, against the outbox baseline ==")
    if config.database_url:
        print(
            "NOTE  the bot ran on PostgreSQL, the outbox baseline on SQLite (stdlib sqlite3, by "
            "definition): the ratios below are not like for like"
        )
    all_ok = True

    def check(text: str, ok: bool, detail: str) -> None:
        nonlocal all_ok
        all_ok &= ok
        print(f"{_verdict(ok)}  {text}: {detail}")

    keys = [s.key for s in scenarios if "bot" in medians[s.key]]
    for label, get, limit, better in (
        ("throughput >= 1.0x outbox", lambda r: r.throughput, 1.0, "high"),
        ("ack p99 <= 1.0x outbox", lambda r: r.p99, 1.0, "low"),
    ):
        details, ok = [], True
        for key in keys:
            base = medians[key].get(BASELINE)
            value = ratio(get(medians[key]["bot"]), get(base)) if base else None
            ok &= value is not None and (value >= limit if better == "high" else value <= limit)
            details.append(f"{key}: {_num(value, '.2f')}x" if base else f"{key}: outbox not run")
        check(label, ok, ", ".join(details))

    details, ok = [], True
    for key in keys:
        rounds = results[key]["bot"]
        non_200 = sum(r.non_200 for r in rounds)
        slow = sum(r.over_3s for r in rounds)
        worst = max(r.max_ms for r in rounds)
        ok &= non_200 == 0 and slow == 0
        details.append(f"{key}: {non_200} non-200, {slow} answers > 3 s, slowest {worst:.0f} ms (all rounds)")
    check("zero non-200 and every ack < 3 s, both scenarios", ok, "; ".join(details))

    details, ok = [], True
    for scenario in scenarios:
        if scenario.key not in keys:
            continue
        bot = medians[scenario.key]["bot"]
        within = bot.last_card_s is not None and bot.last_card_s <= 5.0
        ok &= within
        details.append(f"{scenario.key}: {_cards(bot, scenario.requests, bot.cards, bot.last_card_s)}")
    check("every card posted within 5 s of the load ending (pacing off)", ok, ", ".join(details))

    details, ok = [], True
    for key in keys:
        bot = medians[key]["bot"]
        ok &= bot.rss_mb < 250
        details.append(f"{key}: {bot.rss_mb:.0f} MB over {bot.processes} processes")
    check("web RSS (all processes) < 250 MB", ok, ", ".join(details))
    return all_ok


def _setting(text: str, parser: argparse.ArgumentParser) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or name.lower() not in Settings.model_fields:
        parser.error(f"--bot-setting {text!r}: expected NAME=VALUE with a setting's name")
    return name.upper(), value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="scenario A (fast Slack)")
    parser.add_argument("--slow-requests", type=int, default=300, help="scenario B (slow chat.postMessage)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (WEB_THREADS)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--post-delay", type=float, default=2.0, help="chat.postMessage delay in B, s")
    parser.add_argument("--card-wait", type=float, default=60.0, help="longest wait for the last card, s")
    parser.add_argument("--scenarios", default="AB", help="which to run: A, B or AB")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated subset of {','.join(VARIANTS)}; the targets need outbox and bot",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL server for the bot (a fresh database per round); the baselines stay on SQLite",
    )
    parser.add_argument("--log-dir", type=Path, default=None, help="keep the servers' logs here")
    parser.add_argument(
        "--bot-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the bot, e.g. DELIVERY_THREADS=16 (repeatable; the outbox baseline "
        "gets as many delivery threads)",
    )
    args = parser.parse_args(argv)

    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown or not variants:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    scenarios = [
        s
        for s in (
            Scenario("A", "fast Slack", args.requests, 0.0),
            Scenario(
                "B", f"chat.postMessage takes {args.post_delay:g} s", args.slow_requests, args.post_delay
            ),
        )
        if s.key in args.scenarios.upper()
    ]
    with tempfile.TemporaryDirectory(prefix="bench-load-logs-") as tmp_logs:
        log_dir = args.log_dir or Path(tmp_logs)
        log_dir.mkdir(parents=True, exist_ok=True)
        config = Config(
            clients=args.clients,
            threads=args.threads,
            workers=args.workers,
            card_wait=args.card_wait,
            database_url=args.database_url,
            log_dir=log_dir,
            bot_settings=dict(_setting(text, parser) for text in args.bot_setting),
        )
        pacing = config.bot_settings.get("DELIVERY_RATE_PER_CHANNEL", "0")
        print(
            f"bench.load: {args.clients} clients, gunicorn {args.workers} workers x {args.threads} "
            f"gthread threads, {os.cpu_count()} CPUs; bot: "
            f"{'postgresql' if args.database_url else 'sqlite'}, "
            f"pacing {'off' if float(pacing) == 0 else 'ON (' + pacing + '/s per channel)'}, "
            f"{delivery_threads(config)} delivery threads per process; outbox baseline: stdlib sqlite3 "
            f"(SQLite only), as many delivery threads"
        )
        print(HEADER.replace("variant", "round  ", 1))
        results: dict[str, dict[str, list[RoundResult]]] = {
            s.key: {v: [] for v in variants} for s in scenarios
        }
        for scenario in scenarios:
            for round_no in range(1, args.rounds + 1):
                for variant in variants:
                    result = run_round(variant, scenario, config, round_no)
                    results[scenario.key][variant].append(result)
                    print(
                        row_line(f"{scenario.key}{round_no} {variant}", result, scenario.requests), flush=True
                    )
        report(scenarios, results, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
