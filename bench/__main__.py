"""`python -m bench` (or `make bench`): runs every bench/bench_*.py, writes bench/results.json and
prints one table. Pass module names (e.g. `python -m bench activities`) to run only those."""
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _flatten(prefix: str, value, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out.append((prefix, json.dumps(value, ensure_ascii=False) if isinstance(value, (list, tuple)) else str(value)))


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    wanted = set(argv)
    results_path = HERE / "results.json"
    try:
        results = json.loads(results_path.read_text())
    except (OSError, ValueError):
        results = {}
    failed = False
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"bench.{path.stem}").run(results)
        except Exception as exc:  # noqa: BLE001 — one failing bench must not hide the others
            failed = True
            results.setdefault(name, {})["error"] = repr(exc)
            print(f"   failed: {exc!r}", flush=True)
        print(f"   {time.perf_counter() - started:.0f} s", flush=True)
        results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    rows: list[tuple[str, str]] = []
    _flatten("", {k: v for k, v in results.items() if not wanted or k in wanted}, rows)
    width = max((len(k) for k, _ in rows), default=10)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"\nwritten to {results_path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
