"""The `autocoder` command run as a user runs it: a real process."""

import subprocess
import sys


def run_cli(*args, check=True):
    result = subprocess.run([sys.executable, "-c", "from autocoder.cli import main; main()", *map(str, args)],
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result
