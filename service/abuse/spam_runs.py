"""Spam runs: the same text, lightly varied, arriving from many email addresses within a short while.

One email repeating itself is caught by the duplicate rule and the per-email rate limit; a run spreads over fresh
addresses and spins its text ("Great post!!" -> "great p0st", another link), so neither sees it. Each reply's
normalised text gets a MinHash signature; the senders of each band are counted in the same store as the rate limits
(in this process, or in Redis shared by every worker and replica), and a reply whose band has come from `threshold`
senders within the window waits for a person. Comparing signatures instead of texts keeps the cost flat: no scan of
recent replies, a few counter hits per submission, nothing stored but hashed band keys that expire.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import time
import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
from redis.exceptions import RedisError

from classifier.normalise import normalise_text
from service.abuse.rate_limits import HitCounter

log = logging.getLogger(__name__)

# 10 bands of 5 rows: two texts share a band with probability 1 - (1 - J^5)^10 for word-pair Jaccard similarity J:
# 0.98 at J = 0.8 (a spun copy), 0.27 at J = 0.5, under 0.01 at J = 0.3 (two replies on the same topic).
BANDS: Final = 10
ROWS: Final = 5
# Fixed seeds, so every process (and every replica) computes the same signature for the same text.
_RANDOM: Final = np.random.default_rng(20261129)
_A: Final = _RANDOM.integers(0, 2**64 - 1, size=BANDS * ROWS, dtype=np.uint64, endpoint=True) | np.uint64(1)
_B: Final = _RANDOM.integers(0, 2**64 - 1, size=BANDS * ROWS, dtype=np.uint64, endpoint=True)
_FOLD: Final = _RANDOM.integers(0, 2**64 - 1, size=ROWS, dtype=np.uint64, endpoint=True) | np.uint64(1)

_URL: Final = re.compile(r"(?:https?://|www\.)\S+")
_NUMBER: Final = re.compile(r"\d+")
_WORD: Final = re.compile(r"\w+")


def text_words(text: str) -> list[str]:
    """The words a run keeps while it varies: normalised (case, look-alikes, leetspeak, invisible characters), every
    link one word and every number one word, since runs rotate their links and prices."""
    folded = _NUMBER.sub("0", _URL.sub(" link ", normalise_text(text)))
    return _WORD.findall(folded)


def band_keys(words: list[str]) -> list[str]:
    """The MinHash signature of the text's word pairs, as one short key per band."""
    pairs = {f"{first} {second}" for first, second in itertools.pairwise(words)}
    hashes = np.fromiter((zlib.crc32(pair.encode()) for pair in pairs), dtype=np.uint64, count=len(pairs))
    # One hash function per row, multiply-shift (a*x + b mod 2^64, top 32 bits: a universal family for 32-bit x
    # with odd 64-bit a), so the rows' minima are independent. Array products in numpy wrap silently, as needed.
    minima = ((np.multiply.outer(_A, hashes) + _B[:, None]) >> np.uint64(32)).min(axis=1)
    # A band's key folds its rows into one number (a wrapping sum of odd multiples).
    bands = (minima.reshape(BANDS, ROWS) * _FOLD).sum(axis=1, dtype=np.uint64)
    return [f"{band}:{int(value):x}" for band, value in enumerate(bands)]


MIN_WORDS: Final = 8  # "Great article, thank you!" from a hundred readers is not a run


def signature(text: str) -> list[str] | None:
    """The band keys of a text, or None for a text too short to count. Pure CPU (~60 us): computed beside the
    model's scores, in the scoring process when there is one (service/scoring/scored.py), not on the event loop."""
    words = text_words(text)
    return band_keys(words) if len(words) >= MIN_WORDS else None


@dataclass
class SpamRunDetector:
    counter: HitCounter
    threshold: int  # near-copies from this many senders within the window make a run; 0 turns the rule off
    window_seconds: int

    async def observe(self, text: str, sender: str) -> bool:
        """observe_signature() of the text's signature."""
        return await self.observe_signature(signature(text), sender)

    async def observe_signature(self, bands: list[str] | None, sender: str) -> bool:
        """Count a text's sighting by its signature; True when near-copies of it came from at least `threshold`
        senders (this one included) within the window. A double post by one sender is the duplicate rule's
        business, not a run."""
        if self.threshold <= 0 or not bands:
            return False
        window = int(time.time() // self.window_seconds)
        try:
            keys = [f"replyguard:run:{window}:{key}" for key in bands]
            member = hashlib.blake2b(sender.casefold().encode(), digest_size=8).hexdigest()  # no address is stored
            # The keys name their window; only whether `threshold` was reached matters, so the sets stop there.
            seen = await self.counter.distinct_many(keys, member, self.window_seconds, at_most=self.threshold)
        except (RedisError, OSError):
            # Fail open, like the rate limits: a counter outage must not hold every reply.
            log.warning("spam-run counter unavailable; reply not checked for a run", exc_info=True)
            return False
        return max(seen) >= self.threshold
