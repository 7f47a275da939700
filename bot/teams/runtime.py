"""What the Teams side adds to the services once the Agents SDK adapter exists: the
notifier (proactive cards), the outbox worker that keeps request cards current, and the
routes bound to both. Called once per start of the services (``bot/app.py``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from microsoft_agents.hosting.core import ChannelServiceAdapter

from bot.flow.approvals import ApprovedOnly
from bot.flow.guard import DecisionGuard
from bot.netclient import Timeouts
from bot.outbox.config import WorkerConfig
from bot.outbox.wiring import build_worker_graph
from bot.outbox.worker import Worker
from bot.services import Services
from bot.teams.asking import ApproverAsking
from bot.teams.dispatch import Routes
from bot.teams.followers import Followers
from bot.teams.notifier import Notifier
from bot.teams.progress_cards import card_renderer
from bot.teams.reach import ApproverReach, ReachConfig
from bot.teams.reminders import Reminders
from bot.teams.request_views import RequestViews
from bot.teams.routes import build_routes


def start_teams(services: Services, adapter: ChannelServiceAdapter) -> tuple[Services, Routes]:
    """The services with their outbox worker (not yet started), and the bound routes."""
    notifier = Notifier(adapter, services.store, app_id=services.settings.app_id)
    views = RequestViews(services.store, services.facts, services.links, services.approvals)
    followers = Followers(services.store, views, notifier)
    reach = ApproverReach(
        services.store,
        services.graph,
        notifier,
        adapter,
        policy=services.policy,
        config=ReachConfig(services.settings.teams_app_id, services.settings.app_id),
    )
    asking = ApproverAsking(services.store, reach, services.approvals, followers, services.policy)
    reminders = Reminders(services.store, notifier, services.policy)

    async def remind(now: datetime) -> int:
        # Approvers a stopped process left untold first: their card comes before a reminder.
        await asking.resume(now)
        return await reminders.run(now)

    worker = Worker(
        services.store,
        build_worker_graph(
            services.http, services.tokens, services.settings.graph_url, metrics=services.metrics
        ),
        guard=ApprovedOnly(DecisionGuard(services.flow), services.store, services.policy),
        senders=services.policy.sender,
        notifier=notifier,
        render_card=card_renderer(services.links),
        config=worker_config(
            services.settings.outbox_lease_seconds, services.settings.recipients_per_day
        ),
        on_refused=lambda request, _code: services.facts.forget(
            request.requester_oid, request.sender_address
        ),
        metrics=services.metrics,
        on_expired=followers.expired,
        on_approved_closed=followers.closed,
        on_remind=remind,
    )
    running = replace(services, worker=worker)
    return running, build_routes(running, notifier, followers, asking)


def worker_config(lease_seconds: int, recipients_per_day: int = 10_000) -> WorkerConfig:
    """A send must be over well before its lease can expire (a reclaimed job is reconciled
    on the assumption that no call of the old holder is still in flight)."""
    total = min(45.0, lease_seconds * 0.6)
    return WorkerConfig(
        lease_seconds=float(lease_seconds),
        recipients_per_day=recipients_per_day,
        reconcile_delay=min(30.0, float(lease_seconds)),
        send_timeouts=Timeouts(connect=min(5.0, total), read=min(30.0, total), total=total),
    )
