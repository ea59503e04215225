"""The demo's team, companies, customers, canned replies and views."""

from __future__ import annotations

import random
from dataclasses import dataclass

from deskterm.demo import text
from deskterm.demo.thread import CustomerInfo

ME_NAME = "Demo Agent"
ME_EMAIL = "me@deskterm.demo"
GROUPS = ("Support", "Billing", "Technical")


@dataclass(frozen=True)
class AgentSpec:
    name: str
    email: str
    role: str
    langs: tuple[str, ...]
    groups: tuple[str, ...]
    weight: float


AGENTS = (
    AgentSpec(ME_NAME, ME_EMAIL, "admin", ("en", "ko", "zh", "ja"), GROUPS, 1.0),
    AgentSpec("Ana Souza", "ana@deskterm.demo", "agent", ("en",), ("Support",), 1.4),
    AgentSpec("Ben Carter", "ben@deskterm.demo", "agent", ("en",), ("Technical",), 1.4),
    AgentSpec("Chloe Martin", "chloe@deskterm.demo", "agent", ("en",), ("Billing",), 1.4),
    AgentSpec(
        "Priya Patel", "priya@deskterm.demo", "admin", ("en",), ("Technical", "Support"), 1.0
    ),
    AgentSpec("Minji Park", "minji@deskterm.demo", "agent", ("en", "ko"), ("Support",), 0.6),
    AgentSpec("Mei Lin", "mei@deskterm.demo", "agent", ("en", "zh"), ("Billing",), 0.6),
    AgentSpec("Haruto Sato", "haruto@deskterm.demo", "agent", ("en", "ja"), ("Technical",), 0.6),
)


@dataclass(frozen=True)
class Org:
    id: int
    name: str
    domain: str
    vip: bool


def make_orgs(rng: random.Random, count: int) -> list[Org]:
    """Distinct company names and domains; about one in twenty is a VIP account."""
    names = [f"{p} {s}" for p in text.ORG_PREFIXES for s in text.ORG_SUFFIXES]
    rng.shuffle(names)
    orgs: list[Org] = []
    domains: set[str] = set()
    for i in range(count):
        base = names[i % len(names)]
        name = base if i < len(names) else f"{base} {i // len(names) + 1}"
        stem = "".join(ch for ch in name.lower() if ch.isalnum())
        domain = stem + text.ORG_TLDS[i % len(text.ORG_TLDS)]
        while domain in domains:
            domain = f"{stem}{rng.randrange(10, 99)}.com"
        domains.add(domain)
        orgs.append(Org(i + 1, name, domain, i % 20 == 0))
    return orgs


def make_customers(
    rng: random.Random, count: int, orgs: list[Org]
) -> tuple[dict[str, list[CustomerInfo]], list[int | None]]:
    """Customers by language, and each customer's organization id (by id - 1)."""
    pools: dict[str, list[CustomerInfo]] = {"en": [], "ko": [], "zh": [], "ja": []}
    org_of: list[int | None] = []
    seen: set[str] = set()
    cjk_names = {"ko": text.KO_NAMES, "zh": text.ZH_NAMES, "ja": text.JA_NAMES}
    sizes = {"ko": max(8, count // 20), "zh": max(8, count // 20), "ja": max(8, count // 20)}
    sizes["en"] = max(20, count - 3 * sizes["ko"])
    cid = 0
    for lang, size in sizes.items():
        for _ in range(size):
            cid += 1
            org = orgs[int(rng.random() ** 1.5 * len(orgs))] if rng.random() < 0.55 else None
            if lang == "en":
                first, last = rng.choice(text.FIRST_NAMES), rng.choice(text.LAST_NAMES)
                name = f"{first} {last}"
                plain = "".join(ch for ch in last.lower() if ch.isascii() and ch.isalpha())
                local = f"{first.lower()}.{plain}" if org else f"{first.lower()}{plain}"
            else:
                name = rng.choice(cjk_names[lang])
                local = rng.choice(text.CJK_HANDLES)
                if org and rng.random() < 0.6:
                    org = None
            domain = (
                org.domain if org else rng.choice(text.FREE_MAIL_LANG.get(lang, text.FREE_MAIL))
            )
            email = f"{local}@{domain}"
            while email in seen:
                email = f"{local}{rng.randrange(1, 9999)}@{domain}"
            seen.add(email)
            if lang == "en" and rng.random() < 0.03:
                name = ""  # some senders give no display name
            pools[lang].append(CustomerInfo(cid, name, email, bool(org and org.vip)))
            org_of.append(org.id if org else None)
    return pools, org_of


CANNED: tuple[tuple[str, str, dict[str, object]], ...] = (
    (
        "Refund issued",
        'Hi {{ customer.first_name | default("there") }},\n\n'
        "I've issued a full refund for ticket #{{ ticket.number }}. Depending on your bank it"
        " takes 5-10 business days to show up on your statement.\n\n"
        "Best,\n{{ agent.first_name }}\n",
        {"status": "solved", "add_tags": ["refund"]},
    ),
    (
        "Password reset steps",
        'Hi {{ customer.first_name | default("there") }},\n\n'
        'Please open the sign-in page, choose "Forgot password" and follow the link we email'
        " you. The link is valid for one hour. If it doesn't arrive, check your spam folder and"
        " reply here.\n\nBest,\n{{ agent.first_name }}\n",
        {"status": "pending", "add_tags": ["login"]},
    ),
    (
        "Ask for a screenshot",
        'Hi {{ customer.first_name | default("there") }},\n\n'
        "Could you send us a screenshot of what you see, and the time it happened? That lets"
        " us find it in our logs.\n\nThanks,\n{{ agent.first_name }}\n",
        {"status": "pending"},
    ),
    (
        "Shipping delay",
        'Hi {{ customer.first_name | default("there") }},\n\n'
        "Sorry for the wait. Our carrier is running a few days behind; your order is on its"
        " way and I'll keep ticket #{{ ticket.number }} open until it arrives.\n\n"
        "Best,\n{{ agent.first_name }}\n",
        {"add_tags": ["shipping"]},
    ),
    (
        "Bug acknowledged",
        'Hi {{ customer.first_name | default("there") }},\n\n'
        "Thanks for the report. I could reproduce it and passed it to our engineers; I'll"
        " update you here as soon as a fix ships.\n\nBest,\n{{ agent.first_name }}\n",
        {"status": "on_hold", "add_tags": ["bug"], "assign": "me"},
    ),
    (
        "Feature request noted",
        'Hi {{ customer.first_name | default("there") }},\n\n'
        "Thanks for the idea! I've shared it with our product team on behalf of"
        ' {{ org.name | default("your team") }}.\n\nBest,\n{{ agent.first_name }}\n',
        {"status": "solved", "add_tags": ["feature-request"]},
    ),
    (
        "VIP welcome",
        'Hello {{ customer.first_name | default("there") }},\n\n'
        'As a priority account, {{ org.name | default("your company") }} has a direct line'
        " to our senior team. I'm looking at ticket #{{ ticket.number }} right now.\n\n"
        "Best regards,\n{{ agent.first_name }}\n",
        {"priority": "high", "add_tags": ["vip"], "assign": "me"},
    ),
    (
        "Closing: no response",
        'Hi {{ customer.first_name | default("there") }},\n\n'
        "We haven't heard back, so I'm closing this ticket for now. Just reply to this email"
        " to reopen it.\n\nBest,\n{{ agent.first_name }}\n",
        {"status": "solved"},
    ),
    (
        "환불 안내",
        '{{ customer.name | default("고객") }}님, 안녕하세요.\n\n'
        "환불 처리가 완료되었습니다. 영업일 기준 3~5일 내에 카드사로 반영됩니다.\n\n"
        "감사합니다.\n{{ agent.first_name }}\n",
        {"status": "solved", "add_tags": ["refund"]},
    ),
)

VIEWS = (
    ("My queue", "assignee:me status:new,open,pending"),
    ("Unassigned", "assignee:none status:new,open"),
    ("Urgent", "priority:urgent,high status:new,open,pending"),
    ("Billing", "tag:billing status:new,open,pending,on_hold"),
    ("On hold", "status:on_hold"),
    ("Solved this week", "status:solved updated<7d"),
)
