"""python -m unet_course.instructor build|check|grade (see the package's docstring)."""

import argparse
import sys

from . import __doc__ as usage
from .build import ExerciseError, build, check
from .grade import CHECK_LIMIT, NOTEBOOK_LIMIT, grade_main


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m unet_course.instructor", description=usage.split("\n")[0])
    parser.add_argument("command", choices=["build", "check", "grade"])
    parser.add_argument("notebook", nargs="*", help="grade: the student's notebook(s)")
    parser.add_argument("--notebooks", default="notebooks", help="the solution notebooks' folder")
    parser.add_argument("--notebook-limit", type=float, default=NOTEBOOK_LIMIT, help="seconds per notebook run")
    parser.add_argument("--check-limit", type=float, default=CHECK_LIMIT, help="seconds per check")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            written, removed = build(args.notebooks)
            for path in written:
                print(f"wrote {path.as_posix()}")
            for path in removed:
                print(f"removed {path.as_posix()} (build wrote it; its solution notebook has no markers now)")
            return 0
        if args.command == "check":
            return check(args.notebooks)
        return grade_main(args.notebook, args.notebooks, args.notebook_limit, args.check_limit)
    except ExerciseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
