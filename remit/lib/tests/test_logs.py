import json
import logging

from remit.lib.logs import JsonFormatter, RequestIdFilter
from remit.lib.request_id import current, request_id_from


def formatted(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line  # one object per line, even with a traceback
    return json.loads(line)


def record(message: str = "Wrote %s.", *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("remit.ach.tasks")
    made = logger.makeRecord(logger.name, logging.INFO, __file__, 1, message, args or ("ACME.ach",), None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_has_the_time_level_logger_message_and_request_id():
    token = current.set("req-123")
    try:
        line = formatted(record())
    finally:
        current.reset(token)
    assert set(line) == {"time", "level", "logger", "message", "request_id"}
    assert line["level"] == "INFO" and line["logger"] == "remit.ach.tasks" and line["message"] == "Wrote ACME.ach."
    assert line["request_id"] == "req-123"
    assert line["time"].endswith("Z") and "T" in line["time"]


def test_a_line_outside_a_request_has_no_request_id_and_keeps_extra_fields():
    line = formatted(record(payments=3, biller="acme"))
    assert line["request_id"] is None
    assert line["payments"] == 3 and line["biller"] == "acme"


def test_a_traceback_stays_inside_the_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        made = record()
        made.exc_info = sys.exc_info()
    line = formatted(made)
    assert "ValueError: boom" in line["exc_info"]


def test_an_incoming_request_id_is_kept_only_when_it_is_sane():
    assert request_id_from("abc-123_DEF.456") == "abc-123_DEF.456"
    for insane in ["", "a b", "x" * 101, "evil\nINFO forged line", "<script>"]:
        replaced = request_id_from(insane)
        assert replaced != insane and len(replaced) == 32
