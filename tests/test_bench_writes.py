"""The writes benchmark (bench/writes.py) runs end to end in its smallest configuration.

It is a script, not a test of speed: this only guards that it still starts a writable
``wopgraph serve``, gets 201 for its valid writes and 422 for its invalid ones, and prints
every table with figures. It runs on a 1-case corpus in a temporary folder, in about 20 s.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"^[0-9][0-9,]*(\.[0-9]+)?( \([0-9][0-9,.]*\))?$")


def rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of the Markdown table rows of ``text`` whose first cell is ``first_cell``."""
    found = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            found.append(cells)
    return found


def test_bench_writes_smallest_configuration(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "writes.py"),
            *("--sizes", "2k", "--scan-sizes", "2k", "--writes", "2"),
            *("--requests", "2", "--commits", "3", "--repeat", "1", "--warmup", "1"),
            *("--workers", "1", "--build", str(tmp_path)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    # Through HTTP: store, triples, cases, PUT valid, CPU, PUT invalid, CPU, unexpected answers.
    [http] = [r for r in rows(out, "2k") if len(r) == 8]
    assert NUMBER.match(http[1]) and http[2] == "1", http
    assert all(NUMBER.match(cell) for cell in http[3:7]), http
    assert http[7] == "0 of 4", "a valid write did not get 201 or an invalid one 422"
    # In process: store, write and its outcome, then the figures.
    inproc = {r[1]: r for r in rows(out, "2k") if len(r) == 12}
    assert set(inproc) == {"valid → 201", "invalid → 422"}, inproc
    assert all(NUMBER.match(cell) for r in inproc.values() for cell in r[2:]), inproc
    [durable] = rows(out, "fsync'd (durable)")
    assert NUMBER.match(durable[1])
    [replay] = [r for r in rows(out, "2k") if len(r) == 5]
    assert replay[1] == "2" and all(NUMBER.match(c) for c in replay[2:]), replay
    scans = [r for r in rows(out, "2k") if len(r) == 6 and not r[1].startswith("**")]
    assert {r[1] for r in scans} == {
        "challenges-by-kind",
        "success-factors-by-kind",
        "staff-trained-per-partnership",
        "facts-from-other-sources",
    }
    assert all(NUMBER.match(c) for r in scans for c in r[2:]), scans
    assert (tmp_path / "writes.json").exists()
