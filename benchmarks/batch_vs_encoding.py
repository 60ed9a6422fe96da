"""`autocoder batch` against what a user would do by hand: plain sentence-transformers encoding of the same units.

In one run: the whole `autocoder batch` command (a process of its own, default backend and workers) over an
archive, then, in this process, `SentenceTransformer.encode` (torch, batch 64) of the texts of the units the batch
wrote. The ratio is the plain encoding's time over the batch command's. With `--profile`, the batch runs once more
in one process under cProfile and the top of its profile is saved beside the figures.

    .venv/bin/python benchmarks/batch_vs_encoding.py [--reports 200] [--profile]

Writes benchmarks/results/batch_vs_encoding.{json,md} (and batch_profile.txt).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _measure import RESULTS, Stopwatch, machine, write_results  # noqa: E402
from make_archive import make_archive  # noqa: E402

CLI = [sys.executable, "-c", "from autocoder.cli import main; main()"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    import pandas as pd

    start = machine()
    with tempfile.TemporaryDirectory() as tmp:
        archive = make_archive(Path(tmp) / "archive", args.reports)
        with Stopwatch() as batch_clock:
            subprocess.run([*CLI, "batch", str(archive), "--out", str(Path(tmp) / "out")], check=True,
                           capture_output=True)
        texts = pd.read_parquet(Path(tmp) / "out" / "units.parquet")["text"].tolist()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        from autocoder.embed import default_model_path

        model = SentenceTransformer(default_model_path(), device="cpu")
        with Stopwatch() as plain_clock:
            model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        if args.profile:
            profiler = cProfile.Profile()
            sys.argv = ["autocoder", "batch", str(archive), "--out", str(Path(tmp) / "profiled"), "--workers", "1"]
            from autocoder.cli import main as cli

            profiler.runcall(cli)
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
            (RESULTS / "batch_profile.txt").write_text(text.getvalue(), encoding="utf-8")
    result = {"machine": start, "reports": args.reports, "units": len(texts),
              "batch_seconds": round(batch_clock.seconds, 1), "plain_encoding_seconds": round(plain_clock.seconds, 1),
              "batch_units_per_second": round(len(texts) / batch_clock.seconds, 1),
              "plain_units_per_second": round(len(texts) / plain_clock.seconds, 1),
              "ratio": round(plain_clock.seconds / batch_clock.seconds, 2)}
    markdown = (f"`autocoder batch` over {args.reports} generated reports ({len(texts)} units), whole command with "
                f"its defaults: {result['batch_seconds']} s ({result['batch_units_per_second']} units/s); plain "
                f"`SentenceTransformer.encode` of the same texts (torch, batch 64), same run: "
                f"{result['plain_encoding_seconds']} s ({result['plain_units_per_second']} units/s). Ratio "
                f"**{result['ratio']}×** (target 3×). Machine: {start['cpus']} cores, load average "
                f"{start['load_average']} ({start['date']}).\n")
    write_results("batch_vs_encoding", result, markdown)


if __name__ == "__main__":
    main()
