"""python -m unet_course.instructor build|check|grade (see the package's docstring)."""

import argparse
import sys
from pathlib import Path

from . import __doc__ as usage
from .build import ExerciseError, build, check
from .grade import CHECK_LIMIT, NOTEBOOK_LIMIT, grade_main


def editions(notebooks, language):
    """[(solution folder, stub language)]: the one asked for, or the course and its Chinese edition."""
    if notebooks is not None:
        return [(notebooks, language)]
    chinese = Path("notebooks") / "zh"
    return [("notebooks", "en"), *([(str(chinese), "zh")] if chinese.is_dir() else [])]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m unet_course.instructor", description=usage.split("\n")[0])
    parser.add_argument("command", choices=["build", "check", "grade"])
    parser.add_argument("notebook", nargs="*", help="grade: the student's notebook(s)")
    parser.add_argument(
        "--notebooks",
        help="the solution notebooks' folder (default: notebooks/, and notebooks/zh/ in Chinese for build and check)",
    )
    parser.add_argument("--language", choices=["en", "zh"], default="en", help="the stubs' language with --notebooks")
    parser.add_argument("--notebook-limit", type=float, default=NOTEBOOK_LIMIT, help="seconds per notebook run")
    parser.add_argument("--check-limit", type=float, default=CHECK_LIMIT, help="seconds per check")
    args = parser.parse_args(argv)
    try:
        if args.command == "grade":
            return grade_main(args.notebook, args.notebooks or "notebooks", args.notebook_limit, args.check_limit)
        returns = []
        for folder, language in editions(args.notebooks, args.language):
            if args.command == "check":
                returns.append(check(folder, language))
                continue
            written, removed = build(folder, language)
            for path in written:
                print(f"wrote {path.as_posix()}")
            for path in removed:
                print(f"removed {path.as_posix()} (build wrote it; its solution notebook has no markers now)")
            returns.append(0)
        return max(returns)
    except ExerciseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
