"""LOG_FORMAT=json: one JSON object per line, saying what the line is about where known."""

from __future__ import annotations

import json
import logging
import sys

from bot.logs import JsonFormatter, log_context


def _line(record: logging.LogRecord) -> dict[str, object]:
    text = JsonFormatter().format(record)
    assert "\n" not in text
    parsed = json.loads(text)
    assert isinstance(parsed, dict)
    return parsed


def _record(message: str, *args: object, exc_info: bool = False, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("bot.test")
    info = None
    if exc_info:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            info = sys.exc_info()
    return logger.makeRecord("bot.test", logging.WARNING, __file__, 1, message, args, info, extra=extra)


def test_a_line_has_time_level_logger_and_message_and_what_it_is_about() -> None:
    line = _line(_record("delivery_failed id=%s", 7, team_id="T1", delivery_id=7, kind="experiment"))
    assert line["message"] == "delivery_failed id=7"
    assert (line["level"], line["logger"]) == ("WARNING", "bot.test")
    assert str(line["time"]).endswith("+00:00")
    assert (line["team_id"], line["delivery_id"], line["kind"]) == ("T1", 7, "experiment")


def test_the_context_names_the_workspace_of_lines_that_do_not() -> None:
    with log_context(team_id="T2"):
        inside = _line(_record("answered"))
        explicit = _line(_record("answered", team_id="T3"))
    outside = _line(_record("answered"))
    assert inside["team_id"] == "T2" and explicit["team_id"] == "T3"
    assert "team_id" not in outside and "delivery_id" not in outside


def test_a_traceback_stays_inside_its_one_line() -> None:
    line = _line(_record("failed", exc_info=True))
    assert "ValueError: boom" in str(line["exception"])
