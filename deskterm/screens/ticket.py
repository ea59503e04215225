"""One ticket: its thread, the customer beside it, the composer, and the field dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from deskterm import keys, safetext
from deskterm.drafts import Draft
from deskterm.errors import DesktermError
from deskterm.kb.survey import describe
from deskterm.reports.active_time import ActiveTime
from deskterm.screens.canned import CannedChoice, CannedPickerModal
from deskterm.screens.editor import edit_text
from deskterm.screens.host import DeskHost
from deskterm.screens.kb import Insert, KbPickerModal
from deskterm.screens.ticket_actions import TicketActions
from deskterm.screens.ticket_guard import GuardedSend
from deskterm.sla.policy import format_left
from deskterm.store.queries.outbox import OutboxRecord, list_delivery_states
from deskterm.store.queries.records import TicketDetail, TicketRow
from deskterm.store.queries.surveys import TicketSurvey
from deskterm.store.queries.ticket_view import TicketData, read_ticket
from deskterm.store.queries.tickets import get_ticket_row
from deskterm.vocab import NOT_MAILED_TEXT, status_label
from deskterm.widgets.composer import Composer
from deskterm.widgets.customer_pane import CustomerPane
from deskterm.widgets.fmt import plain, stamp
from deskterm.widgets.key_footer import KeyFooter
from deskterm.widgets.presence_bar import PresenceBar
from deskterm.widgets.send_guard import SendGuard
from deskterm.widgets.similar_pane import SimilarPane
from deskterm.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from deskterm.store.queries.sla import TargetState

Navigator = Callable[[int, int], TicketRow | None]
DRAFT_SAVE_DELAY = 1.0
DELIVERY_TICK = 1.0  # seconds between delivery rereads while a mail waits or is being sent
TIME_SAVE_EVERY = 60.0  # seconds between saves of the time counted on the open ticket
UNDOABLE = ("waiting", "sending")  # `sending` too: the service then says it is too late
TARGET_LABEL = {"first_reply": "first reply", "next_reply": "next reply", "resolution": "resolve"}


def target_label(target: TargetState) -> str:
    """`first reply 03-02 14:30 (2h10m left) warning`, `resolve met`, `next reply paused`."""
    label = TARGET_LABEL.get(target.kind, target.kind)
    if target.state in ("met", "paused") or target.due_at is None:
        return f"{label} {target.state}"
    when = stamp(target.due_at)[5:]
    left = ""
    if target.business_left is not None and target.state != "breached":
        left = f" ({format_left(target.business_left)} left)"
    return f"{label} {when}{left} {target.state}"


def _one_line(text: str, width: int = 80) -> str:
    """A customer's comment on the header's one line: newlines folded, long text cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class TicketScreen(GuardedSend):
    """Read and answer one ticket; `]`/`[` walk the queue's order."""

    CSS_PATH = "ticket.tcss"
    KEY_SCOPES = (keys.TICKET, keys.COMPOSER)
    BINDINGS: ClassVar[list[BindingType]] = [
        *keys.bindings(keys.TICKET),
        *keys.bindings(keys.COMPOSER),
    ]

    class Loaded(Message):
        def __init__(self, token: int, data: TicketData) -> None:
            super().__init__()
            self.token = token
            self.data = data

    class TargetsRead(Message):
        """The SLA targets of ticket `number` (read after the thread is painted)."""

        def __init__(self, token: int, targets: tuple[TargetState, ...]) -> None:
            super().__init__()
            self.token = token
            self.targets = targets

    class DeliveryRead(Message):
        """Delivery states of ticket `number`'s mailed replies, by message id."""

        def __init__(self, number: int, delivery: dict[int, OutboxRecord]) -> None:
            super().__init__()
            self.number = number
            self.delivery = delivery

    class Undone(Message):
        """A reply was taken back before it went out; `body` returns to the composer."""

        def __init__(self, number: int, body: str) -> None:
            super().__init__()
            self.number = number
            self.body = body

    class Touched(Message):
        """The store changed elsewhere and this ticket's row is now `row`."""

        def __init__(self, row: TicketRow) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self,
        desk: DeskHost,
        number: int,
        navigator: Navigator | None = None,
        data: TicketData | None = None,
    ) -> None:
        """`data`, when the opener already read the ticket, is shown in the first frame."""
        super().__init__()
        self.desk = desk
        self.number = number
        self.navigator = navigator
        self._preloaded = data
        self.detail: TicketDetail | None = None
        self._token = 0
        self._save_timer: Timer | None = None
        self.delivery: dict[int, OutboxRecord] = {}
        """Outbox state of this ticket's mailed replies, by message id."""
        self._read_at: dict[int, datetime] = {}  # the version of each ticket marked read
        self.seen_others: dict[int, int] = {}  # the send guard's count, per composer opened
        self.active_time = ActiveTime(desk.config.ui.idle_minutes * 60)
        """Time the agent works on the ticket shown, saved as tracked time entries."""

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def thread(self) -> ThreadView:
        return self.query_one(ThreadView)

    def compose(self) -> ComposeResult:
        yield Static(id="ticket-head")
        yield PresenceBar(id="presence")
        yield Horizontal(id="ticket-sla")
        yield Horizontal(id="ticket-suggest")
        with Horizontal(id="ticket-body"):
            yield ThreadView(id="thread")
            with VerticalScroll(id="side"):
                yield CustomerPane(id="customer")
                yield SimilarPane(id="similar")
        yield SendGuard(id="send-guard")
        yield Composer(id="composer")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.composer.display = False
        self.similar.display = False
        self.query_one("#ticket-sla").display = False
        self.query_one("#ticket-suggest").display = False
        self.thread.focus()
        self.set_interval(DELIVERY_TICK, self._tick_delivery, name="delivery")
        self.set_interval(TIME_SAVE_EVERY, lambda: self.save_time(self.number), name="time")
        self.active_time.active(self.desk.now())
        data, self._preloaded = self._preloaded, None
        if data is None:
            self._load(self.number)
        else:
            self._token += 1
            self._show(data)

    # -- loading -------------------------------------------------------------------

    def _load(self, number: int) -> None:
        if number != self.number:
            self.save_time(self.number)
        self._token += 1
        self.number = number
        self._fetch(self._token, number)

    @work(thread=True, exit_on_error=False, exclusive=True, group="ticket")
    def _fetch(self, token: int, number: int) -> None:
        self.post_message(self.Loaded(token, read_ticket(self.desk.open_store_or_fail(), number)))

    @work(thread=True, exit_on_error=False, exclusive=True, group="targets")
    def _fetch_targets(self, token: int, number: int) -> None:
        """Due times per target come from the service (SQLAlchemy): after the paint."""
        self.post_message(self.TargetsRead(token, self.desk.service().sla_targets(number)))

    def on_ticket_screen_loaded(self, event: Loaded) -> None:
        if event.token == self._token:  # else the agent already moved on (fast ] ] ])
            self._show(event.data)

    def open(self, number: int, data: TicketData) -> None:
        """Show another ticket: the queue keeps one ticket screen and opens each ticket in it."""
        if not self.is_mounted:
            self.number, self._preloaded = number, data
            return
        self.save_time(self.number)
        self._token += 1
        self.number = number
        self.detail = None
        self.set_focus(self.thread)
        self._show(data)

    def _show(self, data: TicketData) -> None:
        detail = data.detail
        first = self.detail is None or self.detail.ticket.number != detail.ticket.number
        if first:
            self.query_one("#ticket-sla").display = False  # until this ticket's targets come
        self.detail = detail
        self.delivery = data.delivery
        self.refresh_bindings()
        self._show_head(detail, data.survey)
        self.thread.show(detail.messages, data.delivery, self.desk.now(), same_ticket=not first)
        self.query_one(CustomerPane).show(
            detail.customer, data.others, detail.ticket.number, self.desk.now(), data.ratings
        )
        if first:
            self.query_one(PresenceBar).show_agents(())
            self.desk.present(detail.ticket.number)
            self._restore_draft()
            self.query_one("#ticket-suggest").display = False  # until this ticket's come
        self.read_assist()
        if self.desk.sla is not None:
            self._fetch_targets(self._token, detail.ticket.number)
        if self.desk.me is not None and detail.ticket.updated_at != self._read_at.get(self.number):
            self._read_at[self.number] = detail.ticket.updated_at
            # After the paint: the write (SQLAlchemy) would hold the GIL against the first frame.
            self.call_after_refresh(self._mark_read, self.number)

    @work(thread=True, exit_on_error=False, group="read")
    def _mark_read(self, number: int) -> None:
        """The agent has seen the ticket: `is:unread` drops it, the queue shows it plain."""
        if self.desk.service().mark_read(number):
            self.app.call_from_thread(self.desk.store_changed, ())

    async def on_ticket_screen_targets_read(self, event: TargetsRead) -> None:
        """One label per SLA target, its state a CSS class (`-ok`, `-warning`, `-breached`)."""
        if event.token != self._token:
            return
        targets = event.targets
        row = self.query_one("#ticket-sla", Horizontal)
        await row.remove_children()
        await row.mount_all(
            [
                Static(target_label(t), classes=f"sla-target -{t.state}", markup=False)
                for t in targets
            ]
        )
        row.display = bool(targets)

    def _show_head(self, detail: TicketDetail, survey: TicketSurvey | None) -> None:
        ticket = detail.ticket
        head = Text(f"#{ticket.number} ", end="")
        head.append_text(plain(ticket.subject))
        head.append("\n")
        parts = [
            status_label(ticket.status),
            ticket.priority,
            ticket.assignee or "unassigned",
        ]
        if ticket.group:
            parts.append(ticket.group)
        parts.append(ticket.channel)
        parts.append(f"opened {stamp(ticket.created_at)}")
        meta = plain(" · ".join(parts))
        if ticket.tags:
            meta.append_text(plain("  #" + " #".join(ticket.tags)))
        if detail.merged_into:
            meta.append(f"  merged into #{detail.merged_into}")
        if survey is not None:
            answer = survey.latest
            meta.append("  " + describe(answer.rating, answer.effort))
            if answer.comment:
                meta.append(": ")
                meta.append_text(plain(_one_line(answer.comment)))
        head.append_text(meta)
        self.query_one("#ticket-head", Static).update(head)
        self.set_class(ticket.status in ("solved", "closed"), "-resolved")

    def on_store_changed(self, numbers: tuple[int, ...]) -> None:
        if self.number in numbers:
            self._load(self.number)
        elif not numbers and self.detail is not None:
            self._check_row(self.number)  # changed elsewhere: reload only if this one did

    @work(thread=True, exit_on_error=False, exclusive=True, group="ticket-check")
    def _check_row(self, number: int) -> None:
        store = self.desk.open_store_or_fail()
        self.post_message(self.Touched(get_ticket_row(store, number)))
        # The sender changes only the outbox, never the ticket row.
        self.post_message(self.DeliveryRead(number, list_delivery_states(store, number)))

    def on_ticket_screen_touched(self, event: Touched) -> None:
        shown = self.detail.ticket if self.detail else None
        row = event.row
        if shown is not None and row.number == self.number and row != shown:
            self._load(self.number)

    # -- delivery and undo -------------------------------------------------------------

    def _tick_delivery(self) -> None:
        """Each second while a mail waits or is being sent: reread where it stands."""
        if any(r.state in UNDOABLE for r in self.delivery.values()):
            self._read_delivery(self.number)

    @work(thread=True, exit_on_error=False, exclusive=True, group="delivery")
    def _read_delivery(self, number: int) -> None:
        states = list_delivery_states(self.desk.open_store_or_fail(), number)
        self.post_message(self.DeliveryRead(number, states))

    def on_ticket_screen_delivery_read(self, event: DeliveryRead) -> None:
        if event.number != self.number:
            return
        self.delivery = event.delivery
        self.thread.set_delivery(event.delivery, self.desk.now())
        self.refresh_bindings()

    def _undoable(self) -> OutboxRecord | None:
        """The newest reply of this ticket that has not gone out yet."""
        records = [r for r in self.delivery.values() if r.kind == "reply" and r.state in UNDOABLE]
        return max(records, key=lambda r: r.id, default=None)

    def _last_reply_not_mailed(self) -> bool:
        replies = [m for m in self.detail.messages if m.kind == "reply"] if self.detail else []
        return bool(replies) and replies[-1].not_mailed

    def action_undo_send(self) -> None:
        record = self._undoable()
        if record is None:
            if self._last_reply_not_mailed():
                self.notify(f"nothing to undo: the last reply was {NOT_MAILED_TEXT}", markup=False)
            else:
                self.notify("nothing to undo: no reply is waiting to be sent", markup=False)
            return
        self._cancel(self.number, record.id)

    @work(thread=True, exit_on_error=False, group="write")
    def _cancel(self, number: int, outbox_id: int) -> None:
        body = self.desk.service().cancel(outbox_id)
        self.post_message(self.Undone(number, body))

    def on_ticket_screen_undone(self, event: Undone) -> None:
        number = event.number
        draft = self.desk.drafts.get(number)
        kept = draft.body if draft is not None else ""
        if number == self.number and self.composer.display:
            kept = self.composer.text
        text = f"{event.body}\n\n{kept}" if kept.strip() else event.body
        if number == self.number:
            self._open_composer("reply", text, None)
            self._keep_draft()
        else:
            self.desk.drafts.put(number, Draft("reply", text, None))
        self.desk.save_drafts()
        self.notify(f"#{number}: reply not sent; its text is back in the composer", markup=False)
        self.desk.store_changed([number])

    # -- drafts --------------------------------------------------------------------

    def _restore_draft(self) -> None:
        draft = self.desk.drafts.get(self.number)
        if draft is not None:
            self._open_composer(draft.kind, draft.body, draft.canned)
        else:
            self.composer.display = False
            self.composer.text_area.load_text("")
            self.composer.canned = None

    def _recipient(self) -> str:
        if self.detail is None:
            return ""
        customer = self.detail.customer
        return f"{customer.name} <{customer.email}>" if customer.name else customer.email

    def _open_composer(self, kind: str, text: str, canned: str | None) -> None:
        self.composer.open(kind, text, canned, self._recipient())
        self.refresh_bindings()
        self.desk.present(self.number, "replying")
        if self.number not in self.seen_others:
            self.count_seen(self.number)

    def on_composer_changed(self, event: Composer.Changed) -> None:
        self._keep_draft()

    def _keep_draft(self) -> None:
        composer = self.composer
        draft = Draft(composer.kind, composer.text, composer.canned)
        if self.desk.drafts.put(self.number, draft):
            if self._save_timer is not None:
                self._save_timer.stop()
            self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, self.desk.save_drafts)

    def _leave_ticket(self) -> None:
        """Keep the draft and the time of the ticket being left, and write the drafts file."""
        if self.composer.display:
            self._keep_draft()
        self.desk.save_drafts()
        self.save_time(self.number)

    # -- time on the ticket --------------------------------------------------------

    def save_time(self, number: int) -> None:
        """Save the active time counted on ticket `number` as a tracked entry (in a worker)."""
        self.active_time.active(self.desk.now())
        taken = self.active_time.take()
        if taken is not None:
            self._write_time(number, *taken)

    @work(thread=True, exit_on_error=False, group="time")
    def _write_time(self, number: int, started_at: datetime, seconds: int) -> None:
        self.desk.service().track_time(number, started_at, seconds)

    # -- keys ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        composing = self.composer.display if self.is_mounted else False
        if action in ("send", "close_composer", "discard"):
            return composing
        if action == "undo_send":  # also to say why a reply that was not mailed cannot be
            return self._undoable() is not None or self._last_reply_not_mailed()
        if action == "back":
            return not (composing and self.composer.text_area.has_focus)
        return True

    def show_presence(self, number: int, agents: list[dict[str, object]]) -> None:
        """Who else is on ticket `number` (the app leaves "me" out)."""
        if number != self.number:
            return
        for bar in self.query(PresenceBar):  # none while the screen is built or torn down
            bar.show_agents(agents)

    def action_back(self) -> None:
        self.desk.present(None)
        self._leave_ticket()
        self.dismiss()

    def action_scroll_thread(self, delta: int) -> None:
        self.thread.scroll_relative(y=delta * 2, animate=False)

    def action_step_ticket(self, delta: int) -> None:
        if self.navigator is None:
            return
        row = self.navigator(self.number, delta)
        if row is None:
            where = "next" if delta > 0 else "previous"
            self.notify(f"no {where} ticket loaded in the queue", markup=False)
            return
        self._leave_ticket()
        self.detail = None
        self._load(row.number)

    def action_unfold(self) -> None:
        self.thread.unfolded = not self.thread.unfolded

    # -- composing -------------------------------------------------------------------

    def action_compose(self, kind: str) -> None:
        composer = self.composer
        if composer.display:
            composer.set_kind(kind)
            composer.text_area.focus()
            self._keep_draft()
            return
        draft = self.desk.drafts.get(self.number)
        if draft is not None:
            self._open_composer(kind, draft.body, draft.canned)
        else:
            self._open_composer(kind, "", None)

    def action_close_composer(self) -> None:
        self.guard_done(self.number)
        self._keep_draft()
        self.desk.save_drafts()
        self.composer.display = False
        self.thread.focus()
        self.refresh_bindings()

    def action_discard(self) -> None:
        self.guard_done(self.number)
        self.desk.drafts.put(self.number, None)
        self.desk.save_drafts()
        self.composer.text_area.load_text("")
        self.composer.canned = None
        self.composer.display = False
        self.thread.focus()
        self.refresh_bindings()
        self.notify("draft discarded")

    def action_canned(self) -> None:
        if self.detail is None:
            return
        store = self.desk.open_store_or_fail()
        self.app.push_screen(
            CannedPickerModal(store, self.number, self.desk.service), self._canned_chosen
        )

    def _canned_chosen(self, choice: CannedChoice | None) -> None:
        if choice is None:
            return
        if not self.composer.display:
            draft = self.desk.drafts.get(self.number)
            self._open_composer(draft.kind if draft else "reply", draft.body if draft else "", None)
        if choice.name:
            self.composer.insert_canned(choice.name, choice.body)
        else:  # a suggested draft: plain text, no canned reply's actions
            self.composer.text_area.insert(choice.body)
        self._keep_draft()

    def action_kb_insert(self) -> None:
        """Find an article and put its link (or its text) into the reply."""
        base = self.desk.config.kb.public_url or self.desk.config.server.url
        store = self.desk.open_store_or_fail()
        self.app.push_screen(KbPickerModal(store, base), self._kb_chosen)

    def _kb_chosen(self, chosen: Insert | None) -> None:
        if chosen is None:
            return
        if not self.composer.display:
            self.action_compose("reply")
        self.composer.text_area.insert(chosen.text)
        self.composer.text_area.focus()
        self._keep_draft()
        self._count_link(self.number, chosen.slug)

    @work(thread=True, exit_on_error=False, group="write")
    def _count_link(self, number: int, slug: str) -> None:
        self.desk.service().count_kb("linked", slug, ticket=number)

    def action_send(self) -> None:
        composer = self.composer
        text = composer.text
        if not text.strip():
            self.desk.notify_error("the message is empty")
            return
        seen = self.seen_others.get(self.number) if composer.kind == "reply" else None
        self._send(self.number, composer.kind, text, composer.canned, seen)

    @work(thread=True, exit_on_error=False, group="write")
    def _send(
        self, number: int, kind: str, text: str, canned: str | None, seen: int | None
    ) -> None:
        if self.stopped(self.desk.open_store_or_fail(), number, seen):
            return
        service = self.desk.service()
        outbox_id: int | None = None
        if canned:
            message_id = service.apply_canned(number, canned, body=text, as_note=kind == "note")
            record = list_delivery_states(service.store, number).get(message_id)
            outbox_id = record.id if record is not None else None
        elif kind == "note":
            service.add_note(number, text)
        else:
            _, outbox_id = service.send_reply(number, text)
        if outbox_id is not None:
            self.desk.nudge_sender()
            what = "reply queued to send (ctrl+z undoes)"
        elif kind == "note":
            what = "note added"
        elif get_ticket_row(service.store, number).channel == "email":
            what = NOT_MAILED_TEXT
        else:
            what = "reply saved"
        self.post_message(self.Written([number], f"#{number}: {what}", sent=True))

    def on_ticket_screen_written(self, event: TicketActions.Written) -> None:
        if event.sent:
            number = event.numbers[0]
            self.guard_done(number)
            self.desk.drafts.put(number, None)
            self.desk.save_drafts()
            if number == self.number:
                self.composer.text_area.load_text("")
                self.composer.canned = None
                self.composer.display = False
                self.thread.focus()
                self.refresh_bindings()
        self.notify(safetext.line(event.note), markup=False)
        if event.numbers:
            self.desk.store_changed(event.numbers)

    def action_editor(self) -> None:
        """Hand the draft to $EDITOR (the app suspends) and take the text back."""
        composer = self.composer
        if not composer.display:
            self.action_compose("reply")
        try:
            text = edit_text(self.app, composer.text, prefix=f"deskterm-{self.number}-")
        except DesktermError as exc:
            self.desk.notify_error(str(exc))
            return
        composer.text_area.load_text(text)
        self._keep_draft()
