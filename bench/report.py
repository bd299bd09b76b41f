"""Small helpers shared by the benchmark scripts: the corpora, progress lines, and how figures
are written."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from wopgraph import synthetic


def log(msg: str) -> None:
    """A progress line on standard error, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ms(seconds: float | None) -> str:
    """Seconds as milliseconds, with 3 significant figures ("–" for none)."""
    if seconds is None:
        return "–"
    v = seconds * 1000
    if v < 10:
        return f"{v:.2f}"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:,.0f}"


def geomean(values: list[float]) -> float | None:
    """The geometric mean of the positive values (None when there are none)."""
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def fmt_load(load) -> str:
    """A load average triple as "1.0/2.0/3.0"."""
    return "/".join(f"{x:.1f}" for x in load) if load else "?"


def corpus(size: int, seed: int, folder: Path) -> tuple[Path, dict]:
    """The synthetic corpus of ``size`` triples in ``folder`` and its summary: generated
    unless there already, for the same size and seed, and newer than the generator."""
    path = folder / f"synthetic-{synthetic.size_label(size)}.nq"
    meta = path.with_name(path.name + ".json")
    src = Path(synthetic.__file__)
    if path.exists() and meta.exists() and path.stat().st_mtime > src.stat().st_mtime:
        summary = json.loads(meta.read_text())
        if summary.get("seed") == seed and summary.get("target") == size:
            return path, summary
    t0 = time.perf_counter()
    synthetic.write(path, size, seed)
    summary = json.loads(meta.read_text())
    log(
        f"generated {path.name}: {summary['triples']:,} triples in {time.perf_counter() - t0:.1f} s"
    )
    return path, summary
