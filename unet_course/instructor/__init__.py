"""For instructors: build the student copies, check they are current, grade students' notebooks.

python -m unet_course.instructor build            # notebooks/NN_*.ipynb -> notebooks/student/ (and zh/student/)
python -m unet_course.instructor check            # exit 1 if a stored student copy is stale
python -m unet_course.instructor grade FILE.ipynb # run it, then re-check it in fresh processes
"""

from .build import ExerciseError, build, stale, strip_source, student_copies
from .grade import CheckResult, grade, report

__all__ = ["ExerciseError", "build", "stale", "strip_source", "student_copies", "CheckResult", "grade", "report"]
