"""Concurrent and replayed submissions: nothing lost, nothing duplicated."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from naesview_wire import Review
from tests.sync_server import (
    SyncServer,
    postgres_database,
    project_with_reviewer,
    sample_review,
    start_sync_server,
)

CLIENTS = 20
REVIEWS = 200


def test_twenty_clients_submitting_the_same_reviews_store_each_once(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server, case_count=REVIEWS)
    reviews = [sample_review(project.id, case) for case in range(REVIEWS)]

    def replay_all(seed: int) -> list[int]:
        order = reviews[:]
        random.Random(seed).shuffle(order)
        client = sync_server.client(token=reviewer.client.token, timeout=60)
        return [client.submit_review(r).review.case_id for r in order]

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(replay_all, range(CLIENTS)))
    assert all(sorted(r) == list(range(REVIEWS)) for r in results)
    stored = owner.client.list_reviews(project.id, all_revisions=True)
    assert len(stored) == REVIEWS
    assert {r.review.uuid for r in stored} == {r.uuid for r in reviews}
    assert [p.done for p in owner.client.progress(project.id)] == [REVIEWS]


def test_two_servers_on_one_postgresql_lose_and_duplicate_nothing(tmp_path):
    with (
        postgres_database() as url,
        start_sync_server(url, log_dir=tmp_path) as first,
        start_sync_server(url, migrate=False, admin=False, log_dir=tmp_path) as second,
    ):
        owner, reviewer, project = project_with_reviewer(first, case_count=60)
        servers = [first, second]
        # Each review goes to one server and is replayed to the other, by 10 clients at once.
        reviews = [
            sample_review(project.id, case, "reject" if case % 3 else "accept")
            for case in range(60)
        ]
        changes = [sample_review(project.id, case, "accept") for case in range(0, 60, 5)]

        def submit(job: tuple[int, Review]) -> None:
            index, review = job
            for hop in (0, 1):
                server = servers[(index + hop) % 2]
                server.client(token=reviewer.client.token, timeout=60).submit_review(review)

        with ThreadPoolExecutor(10) as pool:
            list(pool.map(submit, enumerate(reviews)))
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(submit, enumerate(changes)))

        for server in servers:
            client = server.client(token=owner.client.token)
            stored = client.list_reviews(project.id, all_revisions=True)
            assert sorted(str(r.review.uuid) for r in stored) == sorted(
                str(r.uuid) for r in reviews + changes
            )
            current = {r.review.case_id: r.review.answer for r in client.list_reviews(project.id)}
            assert current == {
                case: "accept" if case % 5 == 0 or case % 3 == 0 else "reject" for case in range(60)
            }
