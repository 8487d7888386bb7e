"""The outbox's delivery: retries with backoff, the dead letter and its replay, nothing sent for a change that rolled
back, nothing lost when a worker is killed mid-delivery, and no message sent twice by two workers at once. Against
the real database and a real HTTP receiver on loopback; the workers of the last two are real `replyguard worker`
processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from service.domain import couriers, events, moderation
from service.domain.auth import Moderator
from service.domain.delivery import DeliveryOptions, deliver_due, retry_delay
from service.domain.webhook_signature import new_secret
from service.settings import Settings
from service.storage import webhook_endpoints as endpoint_store
from service.storage.database import opened
from service.storage.tables import outbox
from tests.commands import run_cli
from tests.conftest import run
from tests.receivers import Receiver, receiving
from tests.replies import reply

LOOPBACK = ("127.0.0.0/8",)


def add_endpoint(
    settings: Settings, url: str, secret: str, events_heard: tuple[str, ...] = events.WEBHOOK_EVENTS
) -> int:
    async def create() -> int:
        now = datetime.now(UTC)
        async with opened(settings) as db, db.write() as conn:
            return await endpoint_store.insert_endpoint(
                conn, {"url": url, "events": list(events_heard), "secret": secret, "created_at": now, "updated_at": now}
            )

    return int(run(create()))


def write_messages(settings: Settings, endpoint_id: int, count: int) -> list[str]:
    """`count` reply.created messages to the endpoint, written in one transaction; their delivery ids."""

    async def write() -> list[str]:
        now = datetime.now(UTC)
        rows = [
            events.webhook_row(
                endpoint_id, "reply.created", events.envelope("reply.created", {"n": n}, now=now), now=now
            )
            for n in range(count)
        ]
        async with opened(settings) as db, db.write() as conn:
            await events.record(conn, rows)
        return [str(row["id"]) for row in rows]

    return list(run(write()))


def outbox_rows(settings: Settings) -> list[Any]:
    async def read() -> list[Any]:
        async with opened(settings) as db, db.read() as conn:
            return list((await conn.execute(select(outbox).order_by(outbox.c.created_at))).all())

    return list(run(read()))


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 30.0), (2, 60.0), (3, 120.0), (8, 3840.0), (10, 15360.0), (11, 6 * 3600.0), (40, 6 * 3600.0)],
)
def test_the_wait_doubles_after_each_failure_up_to_the_cap(attempts: int, seconds: float) -> None:
    options = DeliveryOptions(backoff_seconds=30, backoff_max_seconds=6 * 3600)
    assert retry_delay(attempts, options, jitter=1.0) == timedelta(seconds=seconds)
    assert timedelta(seconds=seconds * 0.8) <= retry_delay(attempts, options) <= timedelta(seconds=seconds)


def _deliver(settings: Settings, options: DeliveryOptions) -> int:
    async def once() -> int:
        async with opened(settings) as db:
            senders = couriers.senders(settings, db)
            try:
                return await deliver_due(db, senders, options, holder="test")
            finally:
                for sender in senders.values():
                    await sender.close()

    return int(run(once()))


def test_a_failing_receiver_is_retried_with_backoff_then_the_message_is_dead_until_replayed(
    settings: Settings,
) -> None:
    settings = settings.with_overrides(webhook_private_networks=LOOPBACK)
    options = DeliveryOptions(max_attempts=3, backoff_seconds=1.0, backoff_max_seconds=1.0)
    secret = new_secret()
    with receiving(secret, status=503) as receiver:
        endpoint = add_endpoint(settings, receiver.url, secret)
        (message_id,) = write_messages(settings, endpoint, 1)
        assert _deliver(settings, options) == 1
        (row,) = outbox_rows(settings)
        assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 503)
        # Not due again before its backoff has passed.
        assert row.next_attempt_at - row.updated_at >= timedelta(seconds=0.8)
        assert _deliver(settings, options) == 0
        for _ in range(2):
            time.sleep(1.05)
            assert _deliver(settings, options) == 1
        (row,) = outbox_rows(settings)
        assert (row.status, row.attempts) == ("dead", 3)
        assert receiver.ids() == [message_id] * 3  # one delivery id for every attempt: receivers de-duplicate on it
        time.sleep(1.05)
        assert _deliver(settings, options) == 0  # dead stays dead

        receiver.status = 204
        env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
        replayed = run_cli("outbox", "replay", message_id, env=env)
        assert replayed.returncode == 0, replayed.stderr
        assert "was dead" in replayed.stdout
        assert _deliver(settings, options) == 1
        (row,) = outbox_rows(settings)
        assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("sent", 1, 204, None)
        assert receiver.ids() == [message_id] * 4
        status = run_cli("outbox", "status", env=env)
        assert "pending: 0" in status.stdout and "sent: 1" in status.stdout and "dead: 0" in status.stdout

    unknown = run_cli("outbox", "replay", str(uuid.uuid4()), env=env)
    assert unknown.returncode == 1 and "No such message" in unknown.stderr
    assert run_cli("outbox", "replay", "not-an-id", env=env).returncode == 2


def test_a_target_in_a_private_network_is_refused_unless_its_network_is_allowed(settings: Settings) -> None:
    options = DeliveryOptions(max_attempts=1)
    secret = new_secret()
    with receiving(secret) as receiver:
        endpoint = add_endpoint(settings, receiver.url, secret)
        write_messages(settings, endpoint, 1)
        assert _deliver(settings, options) == 1  # REPLYGUARD_WEBHOOK_PRIVATE_NETWORKS unset: loopback is refused
        (row,) = outbox_rows(settings)
        assert row.status == "dead" and "private, loopback or link-local" in row.last_error
        assert receiver.calls == []


def test_nothing_is_sent_for_a_decision_that_rolled_back(
    settings: Settings, client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    settings = settings.with_overrides(webhook_private_networks=LOOPBACK)
    secret = new_secret()
    with receiving(secret) as receiver:
        created = client.post("/api/v1/articles/rollback/comments", json=reply("Good point about the bridge."))
        comment_id = uuid.UUID(created.json()["id"])
        add_endpoint(settings, receiver.url, secret)

        async def decide_then_fail() -> None:
            async with opened(settings) as db:
                with pytest.raises(RuntimeError):
                    async with db.write() as conn:
                        await moderation._move(conn, comment_id, "rejected", moderation.Decision(action="reject"),
                                               moderator=Moderator(id=1, name="mod", role="moderator"))  # fmt: skip
                        written = await conn.scalar(select(func.count()).select_from(outbox))
                        assert written == 2  # reply.rejected and decision.made
                        raise RuntimeError("the transaction fails after the decision was written")

        run(decide_then_fail())
        # Through the API: a decision that conflicts is refused whole, messages included.
        stale = client.post(
            f"/api/v1/moderation/comments/{comment_id}/decision",
            json={"action": "reject", "reason": "spam", "expected_status": "rejected"},
            headers=moderator_headers,
        )
        assert stale.status_code == 409
        assert outbox_rows(settings) == []
        assert _deliver(settings, DeliveryOptions()) == 0
        assert receiver.calls == []


# --- real worker processes -------------------------------------------------------------------------------------


def _worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update(
        {
            "REPLYGUARD_DATABASE_URL": settings.database_url,
            "REPLYGUARD_DATA_DIR": "",
            "REPLYGUARD_MODEL_DIR": str(settings.model_dir),
            "REPLYGUARD_WEBHOOK_PRIVATE_NETWORKS": ",".join(LOOPBACK),
            "REPLYGUARD_DELIVERY_POLL_SECONDS": "0.05",
            "REPLYGUARD_WEBHOOK_TIMEOUT_SECONDS": "1",
            "REPLYGUARD_DELIVERY_LEASE_SECONDS": "3",
            "REPLYGUARD_DELIVERY_BACKOFF_SECONDS": "0.5",
            "REPLYGUARD_LOG_LEVEL": "WARNING",
        }
    )
    return env


@contextmanager
def workers(settings: Settings, count: int, log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` `replyguard worker` processes on the test's database, killed on the way out."""
    with log.open("ab") as sink:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"], env=_worker_env(settings), stdout=sink, stderr=sink
            )
            for _ in range(count)
        ]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def _wait_all_sent(settings: Settings, receiver: Receiver, ids: list[str], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(receiver.ids()) >= set(ids) and all(row.status == "sent" for row in outbox_rows(settings)):
            return
        time.sleep(0.1)
    missing = set(ids) - set(receiver.ids())
    states = Counter((row.status, row.attempts, row.claimed_by is not None, row.last_error)
                     for row in outbox_rows(settings) if row.status != "sent")  # fmt: skip
    raise AssertionError(f"{len(missing)} messages never arrived ({states}); worker log:\n{log.read_text()[-3000:]}")


def test_a_worker_killed_mid_delivery_loses_nothing(settings: Settings, tmp_path: Path) -> None:
    secret = new_secret()
    log = tmp_path / "workers.log"
    # The receiver answers nothing until the worker is dead, so the kill certainly lands while a round is in flight:
    # its messages are claimed and some have arrived, and the worker never learns that they did.
    answer = threading.Event()
    with receiving(secret, answer_when=answer) as receiver:
        endpoint = add_endpoint(settings, receiver.url, secret)
        ids = write_messages(settings, endpoint, 150)
        with workers(settings, 1, log) as (first,):
            try:
                receiver.wait_for(1, timeout=60)
                os.kill(first.pid, signal.SIGKILL)
                first.wait(timeout=10)
            finally:
                answer.set()
        arrived_before = len(receiver.ids())
        assert arrived_before < len(ids), "the worker finished before it was killed: nothing was tested"
        claimed = [row for row in outbox_rows(settings) if row.claimed_by is not None]
        assert claimed, "the kill did not land mid-delivery"
        with workers(settings, 1, log):
            _wait_all_sent(settings, receiver, ids, log)
    counts = Counter(receiver.ids())
    assert set(counts) == set(ids)  # lost: 0
    # Sent again only what the killed worker held in flight (same delivery id, which the receiver de-duplicates on).
    assert sum(n - 1 for n in counts.values()) <= len(claimed)
    assert receiver.refused == []


def test_two_workers_never_send_the_same_message_twice(settings: Settings, tmp_path: Path) -> None:
    secret = new_secret()
    log = tmp_path / "workers.log"
    with receiving(secret, delay_seconds=0.005) as receiver:
        endpoint = add_endpoint(settings, receiver.url, secret)
        ids = write_messages(settings, endpoint, 400)
        with workers(settings, 2, log):
            _wait_all_sent(settings, receiver, ids, log)
        holders = {call.headers.get("user-agent") for call in receiver.calls}
        assert holders == {"replyguard-webhooks/1"}
    counts = Counter(receiver.ids())
    assert set(counts) == set(ids)
    assert [message for message, n in counts.items() if n > 1] == []


def test_concurrent_rounds_in_one_process_claim_disjoint_messages(settings: Settings) -> None:
    """Four rounds at once on their own connections (on PostgreSQL: four transactions skipping each other's locks)."""
    settings = settings.with_overrides(webhook_private_networks=LOOPBACK)
    secret = new_secret()
    with receiving(secret) as receiver:
        endpoint = add_endpoint(settings, receiver.url, secret)
        ids = write_messages(settings, endpoint, 120)

        async def rounds() -> list[int]:
            options = DeliveryOptions(batch=10)
            async with opened(settings) as db:
                senders = couriers.senders(settings, db)
                try:

                    async def worker(name: str) -> int:
                        total = 0
                        while claimed := await deliver_due(db, senders, options, holder=name):
                            total += claimed
                        return total

                    return list(await asyncio.gather(*(worker(f"w{n}") for n in range(4))))
                finally:
                    for sender in senders.values():
                        await sender.close()

        done = run(rounds())
    assert sum(done) == len(ids)
    assert sorted(receiver.ids()) == sorted(ids)


def test_metrics_show_the_outbox_backlog(settings: Settings, client: TestClient[Any]) -> None:
    endpoint = add_endpoint(settings, "https://hooks.example/in", new_secret())
    write_messages(settings, endpoint, 3)
    time.sleep(0.05)
    text = client.get("/metrics").text
    assert 'replyguard_outbox_messages{status="pending"} 3.0' in text
    assert 'replyguard_outbox_messages{status="dead"} 0.0' in text
    age = next(line for line in text.splitlines() if line.startswith("replyguard_outbox_oldest_pending_age_seconds "))
    assert float(age.split()[1]) > 0
