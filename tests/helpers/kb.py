"""Knowledge-base articles the page tests share: two scripts, a draft, hostile text."""

from __future__ import annotations

import re

from deskterm.config import MailboxConfig
from deskterm.kb.article import ArticleDraft
from deskterm.store.queries.tickets import get_ticket
from deskterm.store.service import Actor, Service
from deskterm.store.service.delivery import MailSettings
from helpers.clock import TickingClock
from helpers.http_server import Team
from helpers.outbox import SUPPORT, ticket_from_mail

HOSTILE_TITLE = '<img src=x onerror="alert(1)"> {{ 7*7 }}'
HOSTILE_BODY = (
    "<script>alert('body')</script>\n\n[click](javascript:alert(1))\n\n"
    '<iframe src="https://evil.example"></iframe> **bold**'
)


def seed(service: Service) -> None:
    for draft in (
        ArticleDraft("Refund policy", "Refunds are paid **within 5 days**.", section="Billing",
                     tags=("refund",), status="published"),
        ArticleDraft("Refund to a gift card", "Ask for store credit.", section="Billing",
                     tags=("refund",), status="published"),
        ArticleDraft("환불 안내", "주문 번호와 함께 환불을 요청하세요.", section="결제",
                     status="published", locale="ko"),
        ArticleDraft("Unpublished refund notes", "internal", section="Billing"),
        ArticleDraft(HOSTILE_TITLE, HOSTILE_BODY, slug="hostile", section="<b>Sec</b>",
                     status="published"),
    ):  # fmt: skip
        service.save_article(draft)
    service.save_article(
        ArticleDraft("Refund policy", "Refunds are paid **within 5 days**.", slug="refunds",
                     section="Billing", tags=("refund",), status="published"),
        slug_before="refund-policy",
    )  # fmt: skip


def solved_with_survey(team: Team, subject: str = "Printer on fire") -> tuple[int, list[str]]:
    """A mailed ticket solved on `team`: its number and the survey links of its solved
    notice, read from the notice as stored (it waits in the outbox; nothing is sent)."""
    box = MailboxConfig(address=SUPPORT, name="Support", smtp_host="127.0.0.1", smtp_port=1)
    settings = MailSettings(mailboxes=(box,), survey_url=team.url)
    service = Service(team.store, Actor.system(), TickingClock()).with_mail(settings)
    number = ticket_from_mail(service, subject=subject)
    service.set_status(number, "solved")
    notice = get_ticket(team.store, number).messages[-1].body_text
    return number, re.findall(re.escape(team.url) + r"/survey/\S+", notice)
