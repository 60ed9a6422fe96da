"""What the benchmark scripts share: peak memory of a process tree, the machine's state, result files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "results"


class PeakMemory:
    """Peak memory of a process and all its descendants together (sampled every `interval` s), in MiB: the sum
    of their proportional set sizes (PSS), so that library pages the workers share are counted once, as the
    machine holds them. The sum over the tree is what matters: the workers' peaks come at the same time."""

    def __init__(self, pid: int | None = None, interval: float = 0.2):
        self.process = psutil.Process(pid or os.getpid())
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                total = 0
                for p in tree:
                    try:
                        total += p.memory_full_info().pss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                self.peak = max(self.peak, total)
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return round(self.peak / 2**20, 1)


def machine() -> dict:
    """Enough to judge a figure by: cores, and how busy the machine was (another process's load skews it)."""
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(), "load_average": os.getloadavg()}


def write_results(name: str, data: dict, markdown: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown, encoding="utf-8")
    print(markdown)


class Stopwatch:
    def __enter__(self) -> "Stopwatch":
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


def batch_command(archive: Path, out: Path, *options: str) -> dict:
    """`autocoder batch` as a user runs it, in its own process: its manifest, wall time and the peak memory of
    its whole process tree (the command and its workers)."""
    from benchmarks.reliability.server import CLI

    command = [*CLI, "batch", str(archive), "--out", str(out), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with PeakMemory(process.pid) as memory, Stopwatch() as clock:
        _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"autocoder batch failed: {stderr}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {"manifest": manifest, "seconds": round(clock.seconds, 1), "peak_memory_mib": memory.peak_mib}
