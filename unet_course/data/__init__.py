"""Data for the course: synthetic cells made in memory, a folder of real image/mask pairs, BBBC039 nuclei."""

from .baseline import otsu_threshold, threshold_baseline
from .synthetic import SyntheticCells, make_cells

__all__ = ["SyntheticCells", "make_cells", "otsu_threshold", "threshold_baseline"]
