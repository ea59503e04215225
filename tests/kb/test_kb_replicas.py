"""Articles and survey answers reach replicas over real loopback HTTP: a join copies the
knowledge base, later pulls bring edits and removals, and a replica's own article
comes back from the server under the same uid. On a SQLite and a PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.http_server import Team, start_team
from helpers.kb import seed
from helpers.replicas import local_service, make_replica

from deskterm.channels.sync import Replica
from deskterm.kb.article import ArticleDraft
from deskterm.kb.survey import parse_answer
from deskterm.store.queries.kb import list_articles, search_articles
from deskterm.store.queries.surveys import ticket_survey
from deskterm.store.queries.tickets import get_ticket_row
from deskterm.store.schema.db import Store
from deskterm.store.service import Actor

BO = "bo@desk.test"


@pytest.fixture
def team(server_store: Path | str) -> Iterator[Team]:
    team, stop = start_team(server_store)
    seed(team.state.make_service(Actor.system()))
    yield team
    stop()


@pytest.fixture
def replica(team: Team, tmp_path: Path) -> Iterator[Replica]:
    made, _report = make_replica(team.url, team.agent_token, tmp_path / "bo.db", BO)
    yield made
    made.client.close()
    made.store.close()


def articles(store: Store) -> dict[str, tuple[str, str, str]]:
    """uid -> (slug, title, status), every article."""
    return {a.uid: (a.slug, a.title, a.status) for a in list_articles(store)}


def test_join_copies_the_articles_and_their_search(team: Team, replica: Replica) -> None:
    assert articles(replica.store) == articles(team.store)
    assert len(articles(replica.store)) == 5
    found = search_articles(replica.store, "환불을", published_only=True)
    assert [a.slug for a in found] == ["환불-안내"]  # the replica's own index has it


def test_pulls_bring_edits_removals_and_the_replicas_own_article(
    team: Team, replica: Replica
) -> None:
    server = team.state.make_service(Actor.system())
    server.save_article(
        ArticleDraft("Refunds, updated", "Paid in 3 days.", slug="refunds-now", status="published"),
        slug_before="refunds",
    )
    server.remove_article("refund-to-a-gift-card")
    mine = local_service(replica.store, BO).save_article(
        ArticleDraft("Offline tips", "Written on a train.", status="published")
    )
    replica.sync()
    assert articles(replica.store) == articles(team.store)
    slugs = {slug for slug, _title, _status in articles(replica.store).values()}
    assert {"refunds-now", mine} <= slugs and "refund-to-a-gift-card" not in slugs
    assert [a.slug for a in search_articles(replica.store, "train")] == [mine]
    assert search_articles(replica.store, "gift") == []
    replica.sync()  # nothing new: nothing changes
    assert articles(replica.store) == articles(team.store)


def test_a_survey_answer_on_the_server_reaches_the_replica(team: Team, replica: Replica) -> None:
    server = team.state.make_service(Actor.system())
    number = server.create_ticket("Broken lid", "It cracked.", "c@example.test").number
    server.answer_survey(number, parse_answer("not_good", "2", "Took a week"))
    replica.sync()
    answer = ticket_survey(replica.store, get_ticket_row(replica.store, number).id)
    assert answer is not None
    assert (answer.latest.rating, answer.latest.effort, answer.latest.comment) == (
        "not_good", 2, "Took a week",
    )  # fmt: skip
