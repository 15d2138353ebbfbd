"""Old name of ``python -m unet_course.instructor`` (build, check, grade), kept so that old commands work."""

import sys

from .instructor.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
