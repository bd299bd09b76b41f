"""The benchmark pools the alternating rounds of one query on one system (bench/load.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from load import Cell, merge  # noqa: E402


def cell(latencies, wall, cpu=None, status="ok", note="", first=None, single=False):
    """A round's measurement."""
    return Cell(
        status=status,
        latencies=list(latencies),
        wall=wall,
        rows=3,
        bytes=10,
        cpu=cpu,
        note=note,
        first=first,
        single=single,
    )


def test_rounds_are_pooled_request_by_request():
    pooled = merge(
        [
            cell([0.001, 0.002], 1.0, cpu=0.004, first=0.5),
            cell([0.003, 0.004, 0.005, 0.006], 1.0, cpu=0.001, first=0.1),
        ]
    )
    assert pooled.latencies == [0.001, 0.002, 0.003, 0.004, 0.005, 0.006]
    assert pooled.p50 == pytest.approx(0.0035)
    assert pooled.rps == pytest.approx(3.0)  # 6 requests in 2 s
    assert pooled.cpu == pytest.approx((2 * 0.004 + 4 * 0.001) / 6)  # weighted by requests
    assert pooled.first == 0.5  # the first round's first request
    assert (pooled.rows, pooled.bytes, pooled.status) == (3, 10, "ok")


def test_a_failed_round_leaves_the_others_and_is_noted():
    failed = cell([], 0.0, status="timeout", note=">= 30 s")
    pooled = merge([failed, cell([0.2], 0.2, single=True), cell([0.4], 0.4, single=True)])
    assert pooled.latencies == [0.2, 0.4]
    assert pooled.status == "timeout"
    assert pooled.note == ">= 30 s"
    assert pooled.single


def test_when_every_round_failed_the_first_failure_is_the_answer():
    first, second = cell([], 0.0, status="error", note="HTTP 500"), cell([], 0.0, status="timeout")
    assert merge([first, second]) is first
