"""Command line: ``python -m benchmarks NAME [options]``."""

import argparse
import importlib
import pkgutil
import sys

from . import __path__ as bench_path
from . import emit


def available():
    return sorted(m.name for m in pkgutil.iter_modules(bench_path) if not m.name.startswith("_"))


def main(argv=None):
    names = available()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("name", nargs="?", help=f"which benchmark: one of {names}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and what they measure")
    args, rest = parser.parse_known_args(argv)
    if args.list or not args.name:
        for name in names:
            doc = (importlib.import_module(f"{__package__}.{name}").__doc__ or "").strip().splitlines()
            print(f"{name:12s} {doc[0] if doc else ''}")
        return 0
    if args.name not in names:
        parser.error(f"unknown benchmark {args.name!r}: expected one of {names}")
    module = importlib.import_module(f"{__package__}.{args.name}")
    emit(args.name, module.run(rest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
