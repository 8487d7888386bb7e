"""The YouTube Spam Collection's five videos: their public titles and site, the article context of that corpus."""

from __future__ import annotations

from typing import Final

# The corpus names each file after its video; these are the videos' public titles, the only article text it has.
VIDEO_TITLES: Final = {
    "youtube-psy": "Psy - Gangnam Style",
    "youtube-katyperry": "Katy Perry - Roar",
    "youtube-lmfao": "LMFAO - Party Rock Anthem",
    "youtube-eminem": "Eminem - Love the Way You Lie ft. Rihanna",
    "youtube-shakira": "Shakira - Waka Waka (This Time for Africa)",
}
YOUTUBE_SITE: Final = "youtube.com"
