"""The `autocoder` command run as a user runs it: a real process."""

import subprocess

from benchmarks.reliability.server import CLI


def run_cli(*args, check=True):
    result = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result
