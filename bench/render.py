"""Render-time benchmark for the shipped email templates.

Run: ``.venv/bin/python -m bench.render [--iterations N] [--templates-dir DIR]``

For each template it renders the sample values for a typical sender (validation, subject,
HTML, text part and the no-reply footer check included) and prints the median and the 95th
percentile in microseconds. Loading (compile + check) is timed once. Rendering is meant to
stay well under a millisecond; this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bot.rendering import RenderSender, TemplateCatalog, html_to_text

SENDERS = {
    "ticket-reply": RenderSender("support@contoso.com", "Contoso Support", "shared"),
    "outage-notice": RenderSender(
        "noreply@contoso.com",
        "Contoso IT Service Status",
        "noreply",
        help_contact="the Service Desk at servicedesk@contoso.com",
    ),
    "maintenance-window": RenderSender("noreply@contoso.com", "Contoso IT", "noreply"),
    "hr-announcement": RenderSender("hr@contoso.com", "Contoso People Team", "shared"),
    "on-behalf-note": RenderSender("maria.garcia@contoso.com", "Maria Garcia", "send_on_behalf"),
}
DEFAULT_SENDER = RenderSender("me@contoso.com", "Me", "self")


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--templates-dir", type=Path, default=Path("templates"))
    args = parser.parse_args()

    started = time.perf_counter()
    catalog = TemplateCatalog.load(args.templates_dir)
    load_ms = (time.perf_counter() - started) * 1000
    print(f"load + check of {len(catalog.names())} templates: {load_ms:.1f} ms (once)")
    print(
        f"{'template':<20} {'median µs':>10} {'p95 µs':>10} {'html bytes':>11}"
        f"  (n={args.iterations})"
    )
    for name in catalog.names():
        values = catalog.get(name).sample_values()
        sender = SENDERS.get(name, DEFAULT_SENDER)
        for _ in range(50):  # warm up
            email = catalog.render(name, values, sender)
        timings: list[float] = []
        for _ in range(args.iterations):
            t0 = time.perf_counter_ns()
            email = catalog.render(name, values, sender)
            timings.append((time.perf_counter_ns() - t0) / 1000)
        print(
            f"{name:<20} {statistics.median(timings):>10.1f} {_percentile(timings, 0.95):>10.1f}"
            f" {len(email.html.encode()):>11}"
        )
    # The text rendition of HTML, used for previews and templates without body.txt.j2.
    html = catalog.render(
        "ticket-reply", catalog.get("ticket-reply").sample_values(), SENDERS["ticket-reply"]
    ).html
    timings = []
    for _ in range(args.iterations):
        t0 = time.perf_counter_ns()
        html_to_text(html)
        timings.append((time.perf_counter_ns() - t0) / 1000)
    print(
        f"{'html_to_text':<20} {statistics.median(timings):>10.1f}"
        f" {_percentile(timings, 0.95):>10.1f} {len(html.encode()):>11}"
    )


if __name__ == "__main__":
    main()
