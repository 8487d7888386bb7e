"""Replies a real article gets, written for these tests (none is in the seed corpus or the training data)."""

from __future__ import annotations

POLITE = [
    "Thanks for this clear explanation of the budget vote. I had not realised the committee met twice.",
    "I disagree with the author on rent control, but the numbers in the third paragraph are worth thinking about.",
    "Great reporting. Could you follow up on what happened to the bridge repairs promised last spring?",
    "My grandmother lived through the 1962 flood in that valley; the photos brought back her stories.",
    "Interesting piece. The interview with the harbour master was the best part for me.",
    "Merci pour cet article très complet sur la réforme des retraites.",
    "Vielen Dank für den ausführlichen Bericht über die Wahl in Bremen.",
    "Muy buen artículo, me gustaría saber más sobre el nuevo hospital.",
    "とても分かりやすい記事でした。続報を楽しみにしています。",
    "شكرا على هذا المقال المفيد عن الانتخابات المحلية.",
]
# The English ones: the only language a model without per-language metrics covers, so the only polite replies it
# publishes while the site holds uncovered languages (the default; tests/domain/test_languages.py).
ENGLISH_POLITE = POLITE[:5]
SPAM = [
    "BUY CHEAP VIAGRA ONLINE!!! Best prices, no prescription http://cheap-pills.example http://pills.example",
    "Make $5000 a week working from home!!! Click here http://bit.ly/xyz123 and join now, limited offer!!!",
    "Check out my channel and subscribe!!! http://youtube.example/channel free iPhone giveaway click now",
]
ABUSIVE = [
    "You are a worthless idiot and a disgusting pig, shut up you stupid moron.",
    "Anyone who believes this is a fucking retard, go kill yourself you piece of shit.",
]


def reply(body: str, *, name: str = "Ana Reader", email: str = "ana@example.org", **extra: object) -> dict[str, object]:
    return {"name": name, "email": email, "body": body, **extra}
