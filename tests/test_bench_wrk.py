"""The benchmark's wrk driver (bench/wrk.py) reads wrk's report and sends the right request."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import wrk  # noqa: E402

REPORT = """Running 3s test @ http://127.0.0.1:8000/sparql
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms  300.00us   5.00ms   80.00%
    Req/Sec     3.20k   100.00     3.40k    70.00%
  {line}
{extra}Requests/sec:   3200.00
Transfer/sec:      4.00MB
"""


@pytest.mark.parametrize(
    ("line", "extra", "expected"),
    [
        ("9600 requests in 3.00s, 12.00MB read", "", (9600, 3.0, 0)),
        ("120 requests in 1.00m, 1.00MB read", "", (120, 60.0, 0)),
        ("50 requests in 500.00ms, 1.00MB read", "", (50, 0.5, 0)),
        (
            "9600 requests in 3.00s, 12.00MB read",
            "  Socket errors: connect 0, read 3, write 1, timeout 2\n"
            "  Non-2xx or 3xx responses: 4\n",
            (9600, 3.0, 10),
        ),
    ],
)
def test_report_is_read(line, extra, expected):
    assert wrk.parse(REPORT.format(line=line, extra=extra)) == expected


def test_a_report_without_a_count_is_an_error():
    with pytest.raises(ValueError, match="no request count"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ('SELECT * WHERE { ?s ?p "]]" } # [[ ]]', "application/sparql-results+json"),
        ("DESCRIBE <https://w3id.org/wop/id/operator/onee>", "application/n-triples"),
    ],
)
def test_script_posts_the_query_as_a_form(query, accept):
    lua = wrk.script(query)
    body = lua.split("wrk.body = [[", 1)[1].split("]]\n", 1)[0]
    assert parse_qs(body) == {"query": [query]}
    assert f'wrk.headers["Accept"] = "{accept}"' in lua
