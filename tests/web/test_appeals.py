"""Appeals end to end: the statement of reasons' signed link opens a page where the author explains; the appeal
lands in the console's Appeals folder, where only a moderator other than the one who decided may decide it, once;
the outcome is audited as a decision, mailed to the author, and appeal.created reaches webhook receivers."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from litestar.testing import TestClient

from classifier import Scorer
from service.settings import Settings
from tests.conftest import add_moderator
from tests.mailbox import Mailbox, text_of
from tests.receivers import receiving
from tests.replies import POLITE, reply
from tests.web.test_console import _sign_in
from tests.web.test_email import ANA, PUBLIC, URL, confirm, mail_settings, mailbox, serving

__all__ = ["mailbox"]


def _appeal_path(statement: Any) -> str:
    found = re.search(rf"{re.escape(PUBLIC)}/appeals/new\?\S+", text_of(statement))
    assert found is not None, text_of(statement)
    parts = urlsplit(found[0])
    return f"{parts.path}?{parts.query}"


def _take_down(client: TestClient[Any], headers: dict[str, str], comment_id: str) -> None:
    taken = client.post(f"/api/v1/moderation/comments/{comment_id}/decision",
                        json={"action": "reject", "reason": "abuse"}, headers=headers)  # fmt: skip
    assert taken.status_code == 200


def test_an_author_appeals_and_another_moderator_reverses_the_decision_for_good(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, admin_headers: dict[str, str]
) -> None:
    configured = mail_settings(settings, mailbox, webhook_private_networks=("127.0.0.0/8",), rules_check_seconds=0)
    mod_token, eve_token = add_moderator(settings, "mod"), add_moderator(settings, "eve")
    mod = {"Authorization": f"Bearer {mod_token}"}
    with serving(configured, default_model) as client, receiving() as receiver:
        hook = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["appeal.created"]},
                           headers=admin_headers).json()  # fmt: skip
        receiver.secret = hook["secret"]
        posted = client.post(URL, json=reply(POLITE[0], email=ANA, notify=True)).json()
        confirm(client, mailbox.wait_for(ANA, 1)[0])
        _take_down(client, mod, posted["id"])
        statement = mailbox.wait_for(ANA, 2)[1]
        assert "a moderator who did not take this decision will decide" in text_of(statement)
        link = _appeal_path(statement)

        page = client.get(link)
        assert page.status_code == 200 and POLITE[0] in page.text and "Send my appeal" in page.text
        assert client.post(link, data={"text": "   "}).status_code == 422
        assert client.post(link.replace("s=", "s=A"), data={"text": "Please look again."}).status_code == 404
        sent = client.post(link, data={"text": "I quoted the mayor; <b>read it again</b>."})
        assert sent.status_code == 200 and "Appeal received" in sent.text
        again = client.post(link, data={"text": "Once more."})
        assert again.status_code == 200 and "already" in again.text
        (created,) = receiver.wait_for(1)
        assert created.type == "appeal.created" and created.body["data"]["comment_id"] == posted["id"]
        assert ANA not in str(created.body)

        csrf = _sign_in(client, mod_token)
        folder = client.get("/console/appeals").text
        assert "I quoted the mayor; &lt;b&gt;read it again&lt;/b&gt;." in folder
        assert "Your own decision: another moderator decides this appeal." in folder
        assert "/decision" not in folder  # no decision form for the moderator whose decision it appeals
        ids = re.findall(r'id="appeal-([0-9a-f-]{36})"', folder)
        assert len(ids) == 1
        own = client.post(f"/console/appeals/{ids[0]}/decision", data={"action": "reverse", "csrf_token": csrf})
        assert own.status_code == 403 and "Another moderator" in own.text

        csrf = _sign_in(client, eve_token)
        decided = client.post(f"/console/appeals/{ids[0]}/decision",
                              data={"action": "reverse", "note": "Fair quote.", "csrf_token": csrf})  # fmt: skip
        assert decided.status_code == 200 and "Appeal decided: the reply is published" in decided.text
        final = client.post(f"/console/appeals/{ids[0]}/decision", data={"action": "uphold", "csrf_token": csrf})
        assert final.status_code == 409 and "final" in final.text

        thread = client.get("/api/v1/articles/mail/comments").json()
        assert [item["body"] for item in thread["items"]] == [POLITE[0]]
        detail = client.get(f"/api/v1/moderation/comments/{posted['id']}", headers=mod).json()
        last = detail["decisions"][-1]
        assert (last["to_status"], last["note"]) == ("published", "appeal reversed: Fair quote.")
        outcome = mailbox.wait_for(ANA, 3)[2]
        assert outcome["Subject"] == "Your appeal: the decision is reversed"
        assert "Fair quote." in text_of(outcome) and "final" in text_of(outcome)
        time.sleep(0.3)
        assert len(mailbox.to(ANA)) == 3  # told once, by the outcome: no "published" notice beside it
        # The decision it appealed is no longer in force: the link has nothing left to appeal.
        assert client.get(link).status_code == 404


def test_an_upheld_appeal_keeps_the_reply_rejected_and_tells_the_author(
    settings: Settings, mailbox: Mailbox, default_model: Scorer
) -> None:
    configured = mail_settings(settings, mailbox)
    mod_token, eve_token = add_moderator(settings, "mod"), add_moderator(settings, "eve")
    with serving(configured, default_model) as client:
        posted = client.post(URL, json=reply(POLITE[1], email=ANA, notify=True)).json()
        confirm(client, mailbox.wait_for(ANA, 1)[0])
        _take_down(client, {"Authorization": f"Bearer {mod_token}"}, posted["id"])
        link = _appeal_path(mailbox.wait_for(ANA, 2)[1])
        assert client.post(link, data={"text": "It was on topic."}).status_code == 200
        csrf = _sign_in(client, eve_token)
        (appeal_id,) = re.findall(r'id="appeal-([0-9a-f-]{36})"', client.get("/console/appeals").text)
        upheld = client.post(f"/console/appeals/{appeal_id}/decision", data={"action": "uphold", "csrf_token": csrf})
        assert upheld.status_code == 200 and "the decision stands" in upheld.text
        outcome = mailbox.wait_for(ANA, 3)[2]
        assert outcome["Subject"] == "Your appeal: the decision is upheld"
        assert client.get("/api/v1/articles/mail/comments").json()["total"] == 0
        assert "upheld" in client.get("/console/appeals").text
