"""Run every benchmark in turn and print their figures (`make bench`).

Each benchmark reads ../shared/data and says so plainly when it is absent. They run one after
another so they do not compete for the machine's two cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parent
BENCHMARKS = [
    ("retrieval", ["retrieval.py"]),
    ("multilingual retrieval", ["multilingual.py"]),
    ("answer latency", ["answer_latency.py"]),
    ("privacy", ["pii.py"]),
    ("grounding", ["grounding.py", "--govuk"]),
    ("casework", ["casework.py"]),
    ("HTTP load", ["http_load.py"]),
]


def main() -> int:
    failed = []
    for name, args in BENCHMARKS:
        print(f"\n## {name}\n", flush=True)
        result = subprocess.run([sys.executable, str(BENCH / args[0]), *args[1:]], check=False)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
