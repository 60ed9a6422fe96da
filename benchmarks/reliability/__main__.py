"""The reliability table: bad inputs, concurrent decisions, injected faults, fuzzing and a soak, each run for real
against the service, with the figures each part returns.

    .venv/bin/python -m benchmarks.reliability [--soak SECONDS] [--fuzz-examples N]
                                               [--reviewers N] [--decisions-each M] [--no-postgres]
                                               [--parts soak,heap,...]

The default soak is short (20 s, as CI runs it); `--soak 1800` is the long one, run by hand. PostgreSQL parts need
Debian's `postgresql` server binaries (a throwaway server is started on 127.0.0.1). Writes
benchmarks/results/reliability.json and .md; with `--parts`, only those parts run and the others keep their
figures from the last run (each part records the command and machine it was measured with).
"""

from __future__ import annotations

import argparse
import importlib
import json
from contextlib import ExitStack

from benchmarks._measure import RESULTS, Stopwatch, machine, write_results

from .server import Postgres


PARTS = ("bad_inputs", "concurrency", "pace", "faults", "fuzz", "soak", "heap", "backup", "signin", "upgrade")
NEEDS_POSTGRES = {"concurrency", "pace", "faults", "backup", "upgrade"}


def rows(part: str, f) -> list[tuple[str, str, str]]:
    """The table's rows for a part's figures (a list of them: one run per database)."""
    if isinstance(f, list):
        return [row for run in f for row in rows(part, run)]
    if part == "bad_inputs":
        return [("bad inputs", "tried / passed", f"{f['tried']} / {f['passed']}")]
    if part == "concurrency":
        return [(f"concurrent decisions ({f['backend']}, {f['reviewers']} reviewers)",
                 "acknowledged / found in the log once / conflicts (409) / 500s",
                 f"{f['acknowledged']} / {f['in_log'] - f['duplicates']} / {f['conflicts']} / {f['server_errors']}"),
                (f"decision latency ({f['backend']})", "decisions/s, p50 / p95 / p99 ms",
                 f"{f['decisions_per_s']:.0f}/s, {f['p50_ms']:.0f} / {f['p95_ms']:.0f} / {f['p99_ms']:.0f}")]
    if part == "pace":
        return [(f"{f['reviewers']} reviewers, one decision each {f['interval_s']:g} s ({f['backend']})",
                 "decisions / acknowledged / lost; p50 / p95 / p99 ms",
                 f"{f['decisions']} / {f['acknowledged']} / {f['lost']}; {f['all']['p50_ms']} / {f['all']['p95_ms']} / "
                 f"{f['all']['p99_ms']}"),
                (f"the same while retraining in the worker ({f['backend']})",
                 "decisions; p50 / p95 / p99 ms; the job",
                 f"{f['while_retraining']['decisions']}; {f['while_retraining']['p50_ms']} / "
                 f"{f['while_retraining']['p95_ms']} / {f['while_retraining']['p99_ms']}; "
                 f"{f['retraining']['status']} ({f['retraining']['started_s']} → {f['retraining']['ended_s']} s)")]
    if part == "faults":
        return [("faults", "injected / recovered", f"{f['injected']} / {f['recovered']}")]
    if part == "fuzz":
        return [("API fuzzing (schemathesis)", "cases / 500s", f"{f['cases']} / {f['server_errors']}")]
    if part == "soak":
        soaked = [("soak", "duration, requests, errors", f"{f['seconds']:.0f} s, {f['requests']}, {f['errors']}"),
                  ("soak", "memory drift (RSS), open files",
                   f"{f['rss_drift_mb']:+.1f} MB, {f['fds_start']} → {f['fds_end']}"),
                  ("soak", "RSS by tenth of the run (MB)", " → ".join(f"{v:.0f}" for v in f["rss_by_tenth_mb"]))]
        if "rss_second_half_rise_mb" in f:
            retraining = f["retraining"]
            settings = ", ".join(f"{k}={v}" for k, v in f.get("settings", {}).items())
            soaked += [("soak", "RSS rise over the second half", f"{f['rss_second_half_rise_mb']:+.1f} MB"
                        + (f" ({settings})" if settings else "")),
                       ("soak", "retraining during the run", f"{retraining.get('status')} in "
                        f"{retraining.get('seconds')} s, made active: {retraining.get('activated') == 200}")]
        return soaked
    if part == "heap":
        return [("Python heap under the same traffic (tracemalloc)", "growth over requests after a warm-up",
                 f"{f['python_heap_growth_kb']:+.0f} KB over {f['requests']} requests ({f['uploads']} uploads in all)")]
    if part == "backup":
        return [(f"backup during live decisions ({f['backend']})",
                 "acknowledged before the backup / found once after restoring it / files in the archive",
                 f"{f['acknowledged_before']} / {f['found_after_restore']} / {f['files']}"),
                (f"damaged backups ({f['backend']})", "refused with a one-line error / data left untouched",
                 f"{f['refused']} of {f['damaged']} / {f['untouched']} of {f['damaged']}")]
    if part == "signin":
        return [("failed sign-ins", "free tries, then waits (s)",
                 f"{f['free_failures']}, then {' / '.join(str(w) for w in f['waits_s'])}"),
                ("failed sign-ins", "clients remembered after failures from N addresses",
                 f"{f['remembered']} after {f['addresses']:,} (bound {f['bound']:,}); "
                 f"{f['memory_growth_kb']:+.0f} KB from {f['addresses'] // 10:,} to {f['addresses']:,}")]
    if part == "upgrade":
        return [(f"upgrade {f['from']} → {f['to']} ({f['backend']})",
                 "decisions intact / units / users signing in, of those stored before",
                 f"{f['decisions_after']} of {f['decisions_before']} / {f['units_after']} of "
                 f"{f['units_before']} / {f['users_after']} of {f['users_before']}"),
                (f"backup at {f['from']} restored at {f['to']} ({f['backend']})", "decisions intact",
                 f"{f['restored_decisions']} of {f['decisions_before']}")]
    raise ValueError(part)


def table(figures: dict) -> str:
    lines = ["| part | measure | figure |", "|---|---|---|",
             *(f"| {a} | {b} | {c} |" for part in PARTS if part in figures for a, b, c in rows(part, figures[part]))]
    together: dict[str, list[str]] = {}  # parts measured by one command at one time share a line
    for part in PARTS:
        if part in figures["runs"]:
            together.setdefault(json.dumps(figures["runs"][part], sort_keys=True), []).append(part)
    runs = []
    for key, parts in together.items():
        run = json.loads(key)
        took = f"{run['seconds']:.0f} s; " if run["seconds"] is not None else ""
        runs.append(f"- {', '.join(parts)}: `.venv/bin/python -m benchmarks.reliability {run['command']}` "
                    f"({took}{json.dumps(run['machine'])})")
    details = [f"- {d['fault']}: {'recovered' if d['recovered'] else 'NOT recovered'} ({d['note']})"
               for d in figures["faults"]["details"]] if "faults" in figures else []
    failures = [f"- {f}" for f in figures.get("bad_inputs", {}).get("failures", [])]
    return "\n".join(["# Reliability", "", *lines, "", "Measured with (the machine is shared with other work; "
                      "the load average is when each part began):", *runs, "", "Faults:", *details,
                      *(["", "Bad inputs that failed:", *failures] if failures else []), ""])


def run_part(part: str, args, postgres) -> dict | list:
    """One part's figures; its module is imported only when it runs, so one part needs only its own
    dependencies (schemathesis for fuzzing, PostgreSQL's binaries for its variants)."""
    module = importlib.import_module(f".{part}", __package__)
    databases = [None] if postgres is None else [None, postgres.new_database()]
    if part == "concurrency":
        return [module.run(url, reviewers=args.reviewers, decisions_each=args.decisions_each) for url in databases]
    if part in ("backup", "upgrade"):
        return [module.run(url) for url in databases]
    if part == "pace":
        return [module.run(url, reviewers=args.pace_reviewers, seconds=args.pace_seconds) for url in databases]
    if part == "faults":
        return module.run(postgres=postgres)
    if part == "fuzz":
        return module.run(max_examples=args.fuzz_examples)
    if part == "soak":
        return module.run(args.soak, settings=dict(setting.split("=", 1) for setting in args.soak_setting))
    return module.run()


def previous() -> dict:
    """The last run's figures, with each part's command and machine (older runs recorded one for all)."""
    path = RESULTS / "reliability.json"
    if not path.exists():
        return {"runs": {}}
    figures = json.loads(path.read_text(encoding="utf-8"))
    if "runs" not in figures:
        figures["runs"] = {part: {"command": figures["command"], "machine": figures["machine"], "seconds": None}
                           for part in PARTS if part in figures}
    for key in ("command", "machine", "seconds"):
        figures.pop(key, None)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soak", type=float, default=20.0, help="soak duration in seconds")
    parser.add_argument("--soak-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of the soaked server, e.g. AUTOCODER_SQLITE_CACHE_KIB=256 (repeatable)")
    parser.add_argument("--fuzz-examples", type=int, default=10, help="examples per operation and generation mode")
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--decisions-each", type=int, default=25)
    parser.add_argument("--pace-reviewers", type=int, default=50, help="reviewers at a human pace (pace part)")
    parser.add_argument("--pace-seconds", type=float, default=90.0, help="how long the pace part runs")
    parser.add_argument("--no-postgres", action="store_true",
                        help="SQLite only for concurrency (the faults still need a PostgreSQL server for the outage)")
    parser.add_argument("--parts", type=lambda value: value.split(","), default=list(PARTS),
                        help=f"comma-separated, of {','.join(PARTS)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    command = " ".join(f"--{k.replace('_', '-')} {','.join(v)}" if k == "parts" else
                       " ".join(f"--{k.replace('_', '-')} {item}" for item in v) if isinstance(v, list) else
                       f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "no_postgres" and v != [])
    figures = previous()
    with ExitStack() as stack:
        needs_postgres = not args.no_postgres and NEEDS_POSTGRES & set(args.parts)
        postgres = stack.enter_context(Postgres()) if needs_postgres else None
        for part in PARTS:
            if part in args.parts:
                measured_on = machine()
                with Stopwatch() as clock:
                    figures[part] = run_part(part, args, postgres)
                figures["runs"][part] = {"command": command, "machine": measured_on, "seconds": round(clock.seconds, 1)}
    write_results("reliability", figures, table(figures))


if __name__ == "__main__":
    main()
