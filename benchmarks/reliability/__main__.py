"""The reliability table: bad inputs, concurrent decisions, injected faults, fuzzing and a soak, each run for real
against the service, with the figures each part returns.

    .venv/bin/python -m benchmarks.reliability [--soak SECONDS] [--fuzz-examples N]
                                               [--reviewers N] [--decisions-each M] [--no-postgres]

The default soak is short (20 s, as CI runs it); `--soak 300` is the long one, run by hand. PostgreSQL parts need
Debian's `postgresql` server binaries (a throwaway server is started on 127.0.0.1). Writes
benchmarks/results/reliability.json and .md.
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack

from benchmarks._measure import Stopwatch, machine, write_results

from . import bad_inputs, concurrency, faults, fuzz, heap, soak
from .server import Postgres


def table(figures: dict) -> str:
    rows = [("bad inputs", "tried / passed", f"{figures['bad_inputs']['tried']} / {figures['bad_inputs']['passed']}")]
    for run in figures["concurrency"]:
        rows.append((f"concurrent decisions ({run['backend']}, {run['reviewers']} reviewers)",
                     "acknowledged / found in the log once / conflicts (409) / 500s",
                     f"{run['acknowledged']} / {run['in_log'] - run['duplicates']} / {run['conflicts']} / "
                     f"{run['server_errors']}"))
        rows.append((f"decision latency ({run['backend']})", "decisions/s, p50 / p95 / p99 ms",
                     f"{run['decisions_per_s']:.0f}/s, {run['p50_ms']:.0f} / {run['p95_ms']:.0f} / "
                     f"{run['p99_ms']:.0f}"))
    rows.append(("faults", "injected / recovered", f"{figures['faults']['injected']} / {figures['faults']['recovered']}"))
    rows.append(("API fuzzing (schemathesis)", "cases / 500s",
                 f"{figures['fuzz']['cases']} / {figures['fuzz']['server_errors']}"))
    s = figures["soak"]
    rows.append(("soak", "duration, requests, errors", f"{s['seconds']:.0f} s, {s['requests']}, {s['errors']}"))
    rows.append(("soak", "memory drift (RSS), open files", f"{s['rss_drift_mb']:+.1f} MB, {s['fds_start']} → {s['fds_end']}"))
    rows.append(("soak", "RSS by tenth of the run (MB)", " → ".join(f"{v:.0f}" for v in s["rss_by_tenth_mb"])))
    h = figures["heap"]
    rows.append(("Python heap under the same traffic (tracemalloc)", "growth over requests after a warm-up",
                 f"{h['python_heap_growth_kb']:+.0f} KB over {h['requests']} requests ({h['uploads']} uploads in all)"))
    lines = ["| part | measure | figure |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]
    details = [f"- {d['fault']}: {'recovered' if d['recovered'] else 'NOT recovered'} ({d['note']})"
               for d in figures["faults"]["details"]]
    failures = [f"- {f}" for f in figures["bad_inputs"]["failures"]]
    return "\n".join(["# Reliability", "", f"Machine: {json.dumps(figures['machine'])}", "",
                      "Command: `.venv/bin/python -m benchmarks.reliability " + figures["command"] + "`", "",
                      *lines, "", "Faults:", *details, *(["", "Bad inputs that failed:", *failures] if failures else []),
                      ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soak", type=float, default=20.0, help="soak duration in seconds")
    parser.add_argument("--fuzz-examples", type=int, default=10, help="examples per operation and generation mode")
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--decisions-each", type=int, default=25)
    parser.add_argument("--no-postgres", action="store_true",
                        help="SQLite only for concurrency (the faults still need a PostgreSQL server for the outage)")
    args = parser.parse_args()
    figures: dict = {"machine": machine(), "command": " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "no_postgres")}
    with ExitStack() as stack, Stopwatch() as clock:
        postgres = None if args.no_postgres else stack.enter_context(Postgres())
        figures["bad_inputs"] = bad_inputs.run()
        urls = [None] if postgres is None else [None, postgres.new_database()]
        figures["concurrency"] = [concurrency.run(url, reviewers=args.reviewers, decisions_each=args.decisions_each)
                                  for url in urls]
        figures["faults"] = faults.run(postgres=postgres)
        figures["fuzz"] = fuzz.run(max_examples=args.fuzz_examples)
        figures["soak"] = soak.run(args.soak)
        figures["heap"] = heap.run()
    figures["seconds"] = round(clock.seconds, 1)
    write_results("reliability", figures, table(figures))


if __name__ == "__main__":
    main()
