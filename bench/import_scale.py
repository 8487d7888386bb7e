"""How `replyguard import` scales: a WordPress export of N comments imported into a fresh database by the real command,
timed, with the command's peak memory. Memory must not grow with the file (issue 17: 1,000,000 comments in bounded
memory).

    .venv/bin/python bench/import_scale.py [--comments 100000 1000000] [--database-url URL] [--json]

The file is generated: posts of 100 comments each, a third of them replies (some to replies), 85% approved, 10%
spam, 5% held, each comment a different text. Prints one line per size, and with --json the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PER_POST = 100
WORDS = [
    "the",
    "council",
    "vote",
    "budget",
    "bridge",
    "river",
    "school",
    "teacher",
    "parents",
    "road",
    "repairs",
    "tax",
    "rent",
    "flood",
    "summer",
    "winter",
    "library",
    "market",
    "station",
    "harbour",
    "ferry",
    "mayor",
    "report",
    "meeting",
    "question",
    "answer",
    "thanks",
    "agree",
    "disagree",
]


def write_wxr(path: Path, comments: int) -> None:
    """A WXR 1.2 file with `comments` comments, written as a stream."""
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
            "\n<channel><title>bench</title>\n"
        )
        number = 0
        post = 0
        while number < comments:
            post += 1
            out.write(
                f"<item><title>Post {post}</title><link>https://blog.example/{post}/</link>"
                f"<wp:post_id>{post}</wp:post_id><wp:comment_status>open</wp:comment_status>"
                "<wp:post_type>post</wp:post_type>\n"
            )
            first = number + 1
            for _ in range(min(PER_POST, comments - number)):
                number += 1
                parent = 0
                if number - first >= 3 and number % 3 == 0:
                    parent = first + (number * 7919) % (number - first)  # an earlier comment of the same post
                approved = "spam" if number % 10 == 0 else "0" if number % 20 == 1 else "1"
                words = " ".join(WORDS[(number * k) % len(WORDS)] for k in range(1, 18))
                minute, second = divmod(number % 3600, 60)
                out.write(
                    f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[Reader {number % 5000}]]></wp:comment_author>"
                    f"<wp:comment_author_email>reader{number % 5000}@mail.example</wp:comment_author_email>"
                    "<wp:comment_author_IP>192.0.2.1</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>2021-{1 + number % 12:02d}-{1 + number % 28:02d} "
                    f"10:{minute:02d}:{second:02d}</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[Comment {number}: {words}.]]></wp:comment_content>"
                    f"<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>comment</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def run_import(path: Path, database_url: str) -> dict[str, Any]:
    """The real command, as a child process; its wall time and peak resident memory (from the kernel's accounting)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update({"REPLYGUARD_DATABASE_URL": database_url, "REPLYGUARD_LOG_LEVEL": "WARNING"})
    command = [sys.executable, "-m", "service.cli", "import", "wordpress", str(path)]
    out_path, err_path = path.with_suffix(".out"), path.with_suffix(".err")
    started = time.perf_counter()
    # Output to files, not pipes: a pipe nobody reads while the child runs could fill and stall it.
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)
        _, status, rusage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1),
        "exit": os.waitstatus_to_exitcode(status),
        "stdout": out_path.read_text(),
        "stderr": err_path.read_text()[-2000:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="replyguard-import-") as folder:
        for comments in args.comments:
            path = Path(folder) / f"wordpress-{comments}.xml"
            write_wxr(path, comments)
            url = args.database_url or f"sqlite+aiosqlite:///{folder}/import-{comments}.db"
            figures = run_import(path, url)
            if "replies in the file: imported" not in figures["stdout"]:
                print(figures["stderr"], file=sys.stderr)
                return 1
            result = {
                "comments": comments,
                "file_mb": round(path.stat().st_size / 1e6, 1),
                "seconds": figures["seconds"],
                "comments_per_second": round(comments / figures["seconds"]),
                "peak_rss_mb": figures["peak_rss_mb"],
            }
            results.append(result)
            print(
                f"{comments:>9,} comments ({result['file_mb']} MB): {figures['seconds']} s, "
                f"{result['comments_per_second']:,}/s, peak memory {figures['peak_rss_mb']} MB",
                flush=True,
            )
            path.unlink()
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
