"""What training records each epoch: losses, validation Dice, times, and the best epoch so far."""

from dataclasses import asdict, dataclass, field

COLUMNS = ("epoch", "train_loss", "val_loss", "val_dice", "train_seconds", "num_images", "elapsed")


@dataclass
class History:
    """One row per finished epoch (``history.val_dice[-1]`` is the last validation Dice).

    ``elapsed`` counts seconds since training started, across resumes; ``stopped`` says why
    training ended early: ``"target"`` (the target Dice was reached) or ``"interrupted"`` (Ctrl-C).
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_dice: list = field(default_factory=list)
    train_seconds: list = field(default_factory=list)
    num_images: list = field(default_factory=list)
    elapsed: list = field(default_factory=list)
    best_epoch: int | None = None
    stopped: str = ""

    def append(self, **row):
        missing = set(COLUMNS) - set(row)
        if missing:
            raise ValueError(f"History.append needs every column; missing {sorted(missing)}.")
        for name in COLUMNS:
            getattr(self, name).append(row[name])
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
        return [dict(zip(COLUMNS, values)) for values in zip(*(getattr(self, c) for c in COLUMNS))]

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, state):
        return cls(**state)
