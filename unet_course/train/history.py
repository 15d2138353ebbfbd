"""What training records each epoch: losses, validation Dice, times, and the best epoch so far."""

from dataclasses import asdict, dataclass, field

COLUMNS = ("epoch", "train_loss", "val_loss", "val_dice", "train_seconds", "num_images", "elapsed")
OPTIONAL = {"lr": None, "val_class_dice": None}  # columns an append may leave out (then None)


@dataclass
class History:
    """One row per finished epoch (``history.val_dice[-1]`` is the last validation Dice).

    ``elapsed`` counts seconds since training started, across resumes; ``stopped`` says why
    training ended early: ``"target"`` (the target Dice was reached) or ``"interrupted"`` (Ctrl-C).
    ``lr`` is the learning rate at the end of each epoch; ``val_class_dice`` the per-class
    validation Dice (background first) of a multi-class model, else None. Every score here is
    a *validation* score: the best epoch is chosen with it, so it is not a test score.
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_dice: list = field(default_factory=list)
    train_seconds: list = field(default_factory=list)
    num_images: list = field(default_factory=list)
    elapsed: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    val_class_dice: list = field(default_factory=list)
    best_epoch: int | None = None
    stopped: str = ""

    def append(self, **row):
        missing = set(COLUMNS) - set(row)
        if missing:
            raise ValueError(f"History.append needs every column; missing {sorted(missing)}.")
        for name in COLUMNS:
            getattr(self, name).append(row[name])
        for name, default in OPTIONAL.items():
            getattr(self, name).append(row.get(name, default))
        if self.best_val_dice is None or row["val_dice"] > self.best_val_dice:
            self.best_epoch = row["epoch"]

    def __len__(self):
        return len(self.epoch)

    @property
    def best_val_dice(self):
        if self.best_epoch is None:
            return None
        return self.val_dice[self.epoch.index(self.best_epoch)]

    @property
    def images_per_second(self):
        """Training throughput over every epoch after the first (the first pays for warm-up)."""
        rows = slice(1, None) if len(self) > 1 else slice(None)
        seconds = sum(self.train_seconds[rows])
        return sum(self.num_images[rows]) / seconds if seconds else None

    def rows(self):
        """One dict per epoch, for printing or a DataFrame."""
        names = COLUMNS + tuple(OPTIONAL)
        return [dict(zip(names, values)) for values in zip(*(getattr(self, c) for c in names))]

    def summary(self):
        """One sentence: the best epoch and its validation Dice (chosen on validation, so not a test score)."""
        if self.best_epoch is None:
            return "No epoch finished."
        return (
            f"Best epoch {self.best_epoch} of {len(self)}: validation Dice {self.best_val_dice:.3f} "
            "(the epoch was chosen on the validation set; report evaluate(model, test_loader) as the test score)."
        )

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, state):
        state = dict(state)
        for name in OPTIONAL:  # histories saved before these columns existed
            state.setdefault(name, [OPTIONAL[name]] * len(state["epoch"]))
        return cls(**state)
