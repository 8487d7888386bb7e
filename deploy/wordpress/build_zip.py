"""Build the installable plugin: `python deploy/wordpress/build_zip.py OUT_DIR` writes OUT_DIR/replyguard.zip.

The archive holds the folder `replyguard/` (what WordPress's "Upload Plugin" expects), its files in a fixed order
with fixed times, so the same sources give the same bytes.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "replyguard"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def build(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "replyguard.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in SOURCE.rglob("*") if p.is_file()):
            entry = zipfile.ZipInfo(f"replyguard/{path.relative_to(SOURCE).as_posix()}", date_time=FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_zip.py OUT_DIR")
    print(build(Path(sys.argv[1])))
