"""Knowledge-base articles the page tests share: two scripts, a draft, hostile text."""

from __future__ import annotations

from deskterm.kb.article import ArticleDraft
from deskterm.store.service import Service

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
