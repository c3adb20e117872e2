"""``make bench``: print every benchmark figure as ``name value unit``; ``--quick`` takes under a minute."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SUITES = (
    "bench.engine_bench",
    "bench.inbox_bench",
    "bench.dashboard_bench",
    "bench.timers_bench",
    "bench.intake_bench",
    "bench.http_bench",
    "bench.constructs_bench",
    "bench.documents_bench",
    "bench.migration_bench",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a run under a minute")
    parser.add_argument("--only", choices=[name.split(".")[-1] for name in SUITES], help="run one suite")
    args = parser.parse_args()
    started = time.perf_counter()
    for name in SUITES:
        if args.only and not name.endswith(args.only):
            continue
        try:
            suite = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            print(f"# {name}: not present", flush=True)
            continue
        for metric, value, unit in suite.run(args.quick):
            print(f"{metric} {value} {unit}", flush=True)
    print(f"bench_total_seconds {round(time.perf_counter() - started, 1)} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
