"""A personalised bulk send through the real bot over HTTP: found in /help, previewed row by
row, and its final card listing every recipient's result, also as a CSV behind a signed
link."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.flow.preview_links import PreviewLinks
from bot.outbox.progress import RequestProgress, results_of
from bot.teams.progress_cards import card_renderer
from cards import verbs
from tests.support.botapp import (
    PREVIEW_KEY,
    BotHarness,
    Person,
    action,
    actions_of,
    card_in,
    text_of,
)
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
SIGNED_LINKS = True  # the bot fixture (conftest.py) signs links with PREVIEW_KEY
FAST_SUPPORT = True  # and paces support@ so that a bulk send is over at once
KEY = PREVIEW_KEY
SUPPORT = "support@contoso.com"
ROWS = [
    ("johanna.lorenz@contoso.com", "Johanna"),
    ("patti.fernandez@contoso.com", "Patti"),
    ("grady.archie@contoso.com", "Grady"),
    ("lynne.robbins@contoso.com", "Lynne"),
]
Json = dict[str, Any]


async def bulk_preview(bot: BotHarness, who: Person, rows: list[tuple[str, str]] = ROWS) -> Json:
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": SUPPORT}))
    values = {f"var_{k}": v for k, v in CATALOG.get("ticket-reply").sample_values().items()}
    csv = "email,customer_name\n" + "".join(f"{a},{n}\n" for a, n in rows)
    data = {**action(compose, verbs.PREVIEW)["data"], **values, "bulk_csv": csv}
    return card_in(await bot.act(who, verbs.PREVIEW, data))


def row_buttons(card: Json) -> dict[str, Json]:
    return {
        str(a["title"]): dict(a["data"])
        for a in actions_of(card)
        if a.get("verb") == verbs.PREVIEW_ROW
    }


async def test_help_tells_how_to_send_a_personalised_bulk_email(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    text = text_of(card_in(await bot.say(adele, "/help")))
    assert "Bulk send" in text
    assert "CSV" in text
    assert "email" in text


async def test_the_bulk_preview_pages_through_rows(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    first = await bulk_preview(bot, adele)
    text = text_of(first)
    assert "4 personalised messages · row 1 of 4" in text
    assert "johanna.lorenz@contoso.com" in text
    assert "patti.fernandez@contoso.com" not in text  # the row's recipient, not everyone
    assert set(row_buttons(first)) == {"Next row"}

    second = card_in(await bot.act(adele, verbs.PREVIEW_ROW, row_buttons(first)["Next row"]))
    text = text_of(second)
    assert "row 2 of 4" in text
    assert "Hello Patti," in text
    assert "patti.fernandez@contoso.com" in text
    assert set(row_buttons(second)) == {"Previous row", "Next row"}
    link = next(a["url"] for a in second["actions"] if a.get("title") == "View full preview")
    assert link.endswith("&message=2")
    assert verbs.SEND in {a.get("verb") for a in actions_of(second)}  # still the same request

    back = card_in(await bot.act(adele, verbs.PREVIEW_ROW, row_buttons(second)["Previous row"]))
    assert "row 1 of 4" in text_of(back)


async def test_a_row_outside_the_request_is_held_to_its_first_or_last_row(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    first = await bulk_preview(bot, adele)
    data = row_buttons(first)["Next row"]
    last = card_in(await bot.act(adele, verbs.PREVIEW_ROW, {**data, "row": "999"}))
    assert "row 4 of 4" in text_of(last)
    assert "Hello Lynne," in text_of(last)
    assert set(row_buttons(last)) == {"Previous row"}
    start = card_in(await bot.act(adele, verbs.PREVIEW_ROW, {**data, "row": "0"}))
    assert "row 1 of 4" in text_of(start)


async def test_a_forged_row_is_refused_and_someone_elses_preview_is_not_shown(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    first = await bulk_preview(bot, adele)
    data = row_buttons(first)["Next row"]
    forged = await bot.act(adele, verbs.PREVIEW_ROW, {**data, "row": "-1"})
    assert forged.get("statusCode") == 400, forged
    megan = bot.person("megan.bowen@contoso.com")
    other = text_of(card_in(await bot.act(megan, verbs.PREVIEW_ROW, data)))
    assert "Patti" not in other
    assert "row 2" not in other


async def sent_bulk(bot: BotHarness, who: Person) -> str:
    preview = await bulk_preview(bot, who)
    await bot.act(who, verbs.SEND, action(preview, verbs.SEND)["data"])
    request_id = str(action(preview, verbs.SEND)["data"]["request"])
    for _ in range(400):
        if (await bot.services.store.get_request(request_id)).is_final:
            return request_id
        await asyncio.sleep(0.05)
    raise AssertionError("the bulk request did not finish")


async def test_the_final_card_lists_each_recipients_result_and_links_them_as_csv(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    request_id = await sent_bulk(bot, adele)
    card = card_in(await bot.say(adele, f"/status {request_id}"))
    text = text_of(card)
    assert "Bulk send finished" in text
    assert "Recipients" in text
    for address, _ in ROWS:
        assert f"{address} — sent" in text
    link = next(a["url"] for a in card["actions"] if a.get("title") == "Download results (CSV)")
    assert urlsplit(link).path == f"/results/{request_id}.csv"

    parts = urlsplit(link)  # the configured public address; the test bot listens elsewhere
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{bot.url}{parts.path}?{parts.query}")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["row"], r["recipient"], r["result"]) for r in rows] == [
        (str(n), address, "sent") for n, (address, _) in enumerate(ROWS, start=1)
    ]
    assert all(r["sent_at"].endswith("Z") for r in rows)
    assert "Hello" not in answer.text  # results, never the messages' content


async def test_a_results_link_works_only_as_signed_and_a_preview_signature_opens_nothing(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    request_id = await sent_bulk(bot, adele)
    links = PreviewLinks(KEY.encode(), bot.url)
    good = urlsplit(links.results_url(request_id))
    preview = urlsplit(links.url(request_id))
    expired = urlsplit(PreviewLinks(KEY.encode(), bot.url, lifetime=-10).results_url(request_id))
    async with httpx.AsyncClient() as http:
        answers = {
            "good": await http.get(f"{bot.url}{good.path}?{good.query}"),
            "preview's signature": await http.get(f"{bot.url}{good.path}?{preview.query}"),
            "expired": await http.get(f"{bot.url}{expired.path}?{expired.query}"),
            "unsigned": await http.get(f"{bot.url}{good.path}"),
            "not an id": await http.get(f"{bot.url}/results/zzz.csv?{good.query}"),
        }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "good": 200,
        "preview's signature": 403,
        "expired": 410,
        "unsigned": 403,
        "not an id": 404,
    }
    for name, answer in answers.items():
        if name != "good":
            assert "johanna" not in answer.text
            assert "/status" in answer.text or name == "not an id"


async def test_the_outbox_updates_cards_with_the_same_results_and_link(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    request_id = await sent_bulk(bot, adele)
    store = bot.services.store
    request = await store.get_request(request_id)
    progress = RequestProgress(
        request, await store.job_counts(request_id), results=await results_of(store, request)
    )
    card = card_renderer(PreviewLinks(KEY.encode(), "https://mailroom.example"))(progress, None)
    assert card is not None
    link = next(a["url"] for a in card["actions"] if a.get("title") == "Download results (CSV)")
    assert link.startswith(f"https://mailroom.example/results/{request_id}.csv?exp=")
    assert "johanna.lorenz@contoso.com — sent" in text_of(dict(card))
