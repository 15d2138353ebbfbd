"""unet_course: the helpers of a course that builds U-Net in PyTorch, block by block.

What the notebooks import once they have built a piece by hand:

- ``blocks``: ``DoubleConv``, ``Down``, ``Up``, ``OutConv`` as the source text builds them
- ``model``: ``UNet`` (the text's network and its variants), ``count_parameters``
- ``inputs``: the input checks ``UNet`` runs first, and ``PadToFit`` for any image size
- ``arithmetic``: output sizes of conv, max-pool and transposed conv, explained step by step
- ``shapes``: ``trace_shapes``, every module's shapes without computing anything
- ``costs``: multiply-adds per module, from a shape trace
- ``data``: synthetic cells, image/mask folders, the BBBC039 nuclei; ``metrics``: Dice, IoU, losses
- ``train``: device choice, ``fit`` with checkpoints and resume, ``evaluate``, ``predict``
- ``viz`` and ``widgets``: every plot and explorer of the notebooks
- ``checks`` and ``instructor``: the exercise checkers; student copies and grading
(The course's speed and memory benchmarks live beside the package, in ``benchmarks/``.)
"""

from .blocks import DoubleConv, Down, OutConv, Up
from .inputs import PadToFit
from .model import UNet, count_parameters
from .shapes import trace_shapes

__version__ = "0.1.0"
__all__ = ["DoubleConv", "Down", "Up", "OutConv", "UNet", "PadToFit", "count_parameters", "trace_shapes"]
