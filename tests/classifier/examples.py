"""Hand-written replies for behaviour tests; none of them is in the seed corpus or any training corpus."""

from __future__ import annotations

from classifier import Submission


def full_width(text: str) -> str:
    """The same text in full-width forms (U+FF01..U+FF5E and the ideographic space), as spammers type it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


POLITE = [
    Submission("Thank you for this thoughtful article, I learned a lot about the history of the canal.", name="Helga"),
    Submission(
        "I respectfully disagree: the new parking rules will hurt the small shops on Main Street.", name="Oscar"
    ),
    Submission("Does anyone know whether the library will keep its Sunday opening hours?", name="Tamsin"),
    Submission("Great match report. The midfield looked much sharper in the second half.", name="Conor"),
    Submission("The council published the full budget here: https://www.townhall.example.org/budget-2025", name="Ada"),
    Submission("I'm not convinced by the argument, but the reporting is solid and fair.", name="Bernard"),
    Submission("My daughter's class visited the museum last week and loved the dinosaur exhibit.", name="Julie"),
    Submission("Merci beaucoup pour ce reportage, c'était passionnant.", name="Élodie"),
    Submission("Danke für die Erklärung, jetzt verstehe ich die neue Regelung besser.", name="Lukas"),
    Submission("Gracias por el artículo, muy interesante y bien escrito.", name="Marisol"),
    Submission("記事をありがとうございます。とても参考になりました。", name="山田"),
    Submission("شكرا جزيلا على هذا التقرير الرائع.", name="ليلى"),
    Submission("Спасибо автору, очень интересно было читать.", name="Ольга"),
    Submission("谢谢分享，这篇报道很有意思。", name="陈"),  # noqa: RUF001 (Chinese punctuation is the point)
    Submission("इस जानकारी के लिए धन्यवाद, बहुत अच्छा लेख।", name="अमित"),
]

SPAM = [
    Submission(
        "Get instant payday loans with no credit check at http://fastcash-now.example.top",
        name="Cheap Payday Loans Online",
        website="http://fastcash-now.example.top",
    ),
    Submission("Best online casino bonus! Free spins and jackpots every day: http://bit.ly/spinwin77", name="Jackpot"),
    Submission("Buy viagra and cialis cheap without prescription http://pills-discount.example.ru", name="Pharmacy"),
    Submission("Professional essay writing service, cheap custom essays, order now https://essays-fast.example.com"),
    Submission("Hello", name="Buy Cheap Followers", website="http://followers-cheap.example.xyz"),
    Submission("Please check out my channel and subscribe!!! new videos every day", name="Vlog King"),
    Submission("Double your bitcoin in 24 hours, guaranteed profit, join now https://tinyurl.com/btc2x", name="Crypto"),
    Submission("Earn $400 a day working from home, click here http://home-income.example.site", name="Online Income"),
]

ABUSE = [
    Submission("You are a pathetic idiot and nobody wants to read your garbage.", name="grr"),
    Submission("Shut up, you stupid moron.", name="x"),
    Submission("Fuck off and die, you worthless scumbag.", name="y"),
    Submission("I will find you and beat you until you beg, you little rat.", name="z"),
    Submission("This writer is a brainless clown, fire him already, what an idiot.", name="w"),
    Submission("Go to hell you disgusting pig.", name="v"),
]
