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
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _timings(render: Callable[[], object], iterations: int) -> list[float]:
    for _ in range(50):  # warm up
        render()
    timings: list[float] = []
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        render()
        timings.append((time.perf_counter_ns() - t0) / 1000)
    return timings


def measure(iterations: int = 2000, templates_dir: Path = Path("templates")) -> dict[str, Any]:
    """Load time (ms, once) and, per template and for ``html_to_text``, the median and p95
    render time in µs with the rendered HTML's size."""
    started = time.perf_counter()
    catalog = TemplateCatalog.load(templates_dir)
    load_ms = (time.perf_counter() - started) * 1000
    rows: dict[str, dict[str, float | int]] = {}
    for name in catalog.names():
        values = catalog.get(name).sample_values()
        sender = SENDERS.get(name, DEFAULT_SENDER)

        def render(name: str = name, values: Any = values, sender: RenderSender = sender) -> Any:
            return catalog.render(name, values, sender)

        timings = _timings(render, iterations)
        rows[name] = {
            "median_us": round(statistics.median(timings), 1),
            "p95_us": round(_percentile(timings, 0.95), 1),
            "html_bytes": len(render().html.encode()),
        }
    # The text rendition of HTML, used for previews and templates without body.txt.j2.
    html = catalog.render(
        "ticket-reply", catalog.get("ticket-reply").sample_values(), SENDERS["ticket-reply"]
    ).html
    timings = _timings(lambda: html_to_text(html), iterations)
    rows["html_to_text"] = {
        "median_us": round(statistics.median(timings), 1),
        "p95_us": round(_percentile(timings, 0.95), 1),
        "html_bytes": len(html.encode()),
    }
    return {"iterations": iterations, "load_ms": round(load_ms, 1), "templates": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--templates-dir", type=Path, default=Path("templates"))
    args = parser.parse_args()
    result = measure(args.iterations, args.templates_dir)
    print(
        f"load + check of {len(result['templates']) - 1} templates: {result['load_ms']} ms (once)"
    )
    print(
        f"{'template':<20} {'median µs':>10} {'p95 µs':>10} {'html bytes':>11}"
        f"  (n={args.iterations})"
    )
    for name, row in result["templates"].items():
        print(
            f"{name:<20} {row['median_us']:>10.1f} {row['p95_us']:>10.1f} {row['html_bytes']:>11}"
        )


if __name__ == "__main__":
    main()
