"""What both CSV imports share: problems in file order up to a limit, progress in few calls."""

from __future__ import annotations

from remit.lib.csv_import import MAX_PROBLEMS, PROGRESS_EVERY, Ticker, failed
from remit.lib.csv_table import ImportProblem


def test_failed_lists_problems_by_line_keeping_a_rows_own_order_and_counts_the_rest():
    problems = [ImportProblem(3, "Email", "b"), ImportProblem(2, "Name", "a"), ImportProblem(3, "ZIP", "c")]
    result = failed(problems)
    assert [(p.line, p.message) for p in result.problems] == [(2, "a"), (3, "b"), (3, "c")]
    assert not result.ok
    many = failed([ImportProblem(n, "", "x") for n in range(MAX_PROBLEMS + 2, 0, -1)])
    assert (len(many.problems), many.more_problems, many.problems[0].line) == (MAX_PROBLEMS, 2, 1)


def test_the_ticker_reports_the_start_every_so_many_steps_and_the_end_once_each():
    calls: list[tuple[int, int]] = []
    total = 2 * PROGRESS_EVERY + 10
    tick = Ticker(lambda *call: calls.append(call), total=total)
    tick.step(0)
    for _ in range(total):
        tick.step()
    tick.flush()
    assert calls == [(0, total), (PROGRESS_EVERY, total), (2 * PROGRESS_EVERY, total), (total, total)]
