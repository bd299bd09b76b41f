"""The benchmark's core accounting (bench/cores.py) reads where the machine's CPU time went."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import cores  # noqa: E402


def test_machine_states_grow_with_work_and_time():
    before = cores.machine()
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:  # keep one core busy
        pass
    after = cores.machine()
    assert len(before) == len(after) == 8  # user nice system idle iowait irq softirq steal
    assert all(b >= a for a, b in zip(before, after, strict=True))
    busy = sum(after) - after[3] - after[4] - (sum(before) - before[3] - before[4])
    assert busy >= 0.15, "0.3 s of a busy loop shows as busy time"


def test_children_cpu_counts_reaped_children():
    before = cores.children_cpu()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.2: pass",
        ],
        check=True,
    )
    assert cores.children_cpu() - before >= 0.15
