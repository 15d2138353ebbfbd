"""Exercise checkers: give the student's class or function, get a one-line OK or a precise message.

Each ``check_...`` builds the student's block with a few channel settings, runs it on small CPU
inputs, looks at its layers, and compares it with the course's own block on the same weights.
A mistake raises ``CheckFailed`` (an ``AssertionError``) whose message names it and the fix.
"""

from ._core import CheckFailed
from ._weights import load_weights_by_structure
from .dice import check_dice
from .double_conv import check_double_conv
from .down import check_down
from .out_conv import check_out_conv
from .training import check_train_one_epoch
from .unet import check_unet
from .up import check_up
from .validation import check_validate

__all__ = [
    "CheckFailed",
    "check_double_conv",
    "check_down",
    "check_up",
    "check_out_conv",
    "check_unet",
    "check_dice",
    "check_train_one_epoch",
    "check_validate",
    "load_weights_by_structure",
]
