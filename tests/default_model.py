"""The suite's default model: trained once on the real corpora (the seed corpus alone where they are absent).

`make test` runs this module while lint, type-check and audit run, so the training (about 70 s) overlaps the gates;
the `model_dir` fixture then finds the model in REPLYGUARD_TEST_MODEL_ROOT. Run directly, pytest trains it in the
session instead, through the same function.

    python -m tests.default_model ROOT
"""

from __future__ import annotations

import sys
from pathlib import Path

from classifier import train_model

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def default_model(root: Path) -> Path:
    """The newest model folder under root, trained there first if root holds none."""
    existing = sorted(p.parent for p in root.glob("*/card.json"))
    if existing:
        return existing[-1]
    return train_model(output_root=root, data_dir=DATA_DIR if DATA_DIR.is_dir() else None)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.default_model ROOT", file=sys.stderr)
        return 2
    root = Path(argv[0])
    root.mkdir(parents=True, exist_ok=True)
    print(default_model(root))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
