"""Load weights by structure, not by name, and say which names the later cells expect.

A right answer may call its layers anything (``self.block``, ``self.layers``); the notebook's
later cells, which load its ``state_dict`` into the package's block, need the package's names.
"""

from ..i18n import tr
from ._core import PARAMETER_LAYERS, CheckFailed, describe_layer, modules_of


def load_weights_by_structure(target, source):
    """Copy ``source``'s weights into ``target`` layer by layer, paired in the order they are
    defined (conv, BatchNorm, transposed conv), whatever their attribute names. Returns ``target``."""
    theirs, mine = modules_of(target, PARAMETER_LAYERS), modules_of(source, PARAMETER_LAYERS)
    if len(theirs) != len(mine):
        raise CheckFailed(
            tr(
                "load_weights_by_structure: the source has {source} layers with weights, the target {target}: "
                "they are not the same block.",
                source=len(mine),
                target=len(theirs),
            )
        )
    for index, (to, from_) in enumerate(zip(theirs, mine), start=1):
        shapes = {k: tuple(v.shape) for k, v in from_.state_dict().items()}
        if type(to) is not type(from_) or shapes != {k: tuple(v.shape) for k, v in to.state_dict().items()}:
            raise CheckFailed(
                tr(
                    "load_weights_by_structure: layer {index} is {source} in the source but {target} in the target.",
                    index=index,
                    source=describe_layer(from_),
                    target=describe_layer(to),
                )
            )
        to.load_state_dict(from_.state_dict())
    return target


def names_note(block, reference, what):
    """'' when ``block`` has the reference's state_dict names, else a note naming the ones expected."""
    mine, theirs = list(block.state_dict()), list(reference.state_dict())
    if mine == theirs:
        return ""
    prefixes = sorted({k.split(".")[0] for k in theirs})
    return "\n" + tr(
        "Note: your {what} is right, but its layers have other names ({mine}, ...) than the package's ({theirs}, "
        "...). The cells below copy weights by name with load_state_dict: name your attributes {attributes} as the "
        "package does, or copy them by structure: unet_course.checks.load_weights_by_structure(package_block, "
        "your_block).",
        what=what,
        mine=", ".join(mine[:2]),
        theirs=", ".join(theirs[:2]),
        attributes=", ".join(f"`self.{p}`" for p in prefixes),
    )
