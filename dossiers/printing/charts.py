"""The statistics charts as plain SVG, drawn on the server: the same markup on the page and in
the PDF (WeasyPrint draws inline SVG), no JavaScript and no chart library.

Each chart has a title and a text description for screen readers (role="img", aria-label),
and the numbers are also in the tables beside it.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

# Colours with enough contrast on white (WCAG 1.4.11 for graphics), told apart by the legend.
BLUE, GREEN, ORANGE, RED, GREY = "#0b5ed7", "#198754", "#b35c00", "#b02a37", "#6c757d"


def charts(report):
    """[(title, svg)] of the report: received by month and channel, resolved by timeliness,
    sectors side by side."""
    months = [f"{row['start']:%m/%Y}" for row in report.by_month]
    totals = report.totals
    sectors = report.by_sector
    return [
        (
            _("Received by month and channel"),
            bar_chart(
                months,
                [
                    (_("Online"), BLUE, [r["received_online"] for r in report.by_month]),
                    (_("At the counter"), GREEN, [r["received_counter"] for r in report.by_month]),
                    (_("By post"), ORANGE, [r["received_post"] for r in report.by_month]),
                ],
                title=_("Received by month and channel"),
            ),
        ),
        (
            _("Resolved by timeliness"),
            bar_chart(
                [_("Early"), _("On time"), _("Late")],
                [
                    (
                        _("Resolved"),
                        GREEN,
                        [
                            totals["resolved_early"],
                            totals["resolved_on_time"],
                            totals["resolved_late"],
                        ],
                    )
                ],
                title=_("Resolved by timeliness"),
                colours=[GREEN, BLUE, RED],
            ),
        ),
        (
            _("Sectors side by side"),
            bar_chart(
                [row["sector_name"] or "—" for row in sectors],
                [
                    (_("Received"), BLUE, [r["received"] for r in sectors]),
                    (_("Resolved"), GREEN, [r["resolved"] for r in sectors]),
                    (_("Overdue"), RED, [r["in_progress_overdue"] for r in sectors]),
                ],
                title=_("Sectors side by side"),
                grouped=True,
            ),
        ),
    ]


def bar_chart(categories, series, title, grouped=False, colours=None, width=640, height=260):
    """Vertical bars per category: stacked series (or side by side when `grouped`).

    `series` is [(label, colour, values)]; `colours` colours each category of a single series.
    """
    left, right, top, bottom = 44, 10, 12, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(categories), 1)
    if grouped:
        peak = max((v for _l, _c, values in series for v in values), default=0)
    else:
        peak = max((sum(values) for values in zip(*(s[2] for s in series), strict=True)), default=0)
    peak = max(peak, 1)
    step = _nice_step(peak)
    ceiling = step * -(-peak // step)
    slot = plot_w / count
    bar_w = slot * 0.7 / (len(series) if grouped else 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="statistics-chart">'
    ]
    for tick in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * tick / ceiling
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#dee2e6" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#212529">{tick}</text>'
        )
    for index, category in enumerate(categories):
        x0 = left + slot * index + slot * 0.15
        base = top + plot_h
        for number, (label, colour, values) in enumerate(series):
            value = values[index] if index < len(values) else 0
            if colours:
                colour = colours[index % len(colours)]
            h = plot_h * value / ceiling
            x = x0 + (bar_w * number if grouped else 0)
            y = (top + plot_h - h) if grouped else base - h
            if value:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{escape(category)} — {escape(label)}: {value}</title>'
                    "</rect>"
                )
            if not grouped:
                base -= h
        name = str(category)
        short = name if len(name) <= 16 else name[:15] + "…"
        cx = left + slot * index + slot / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="11" '
            f'fill="#212529">{escape(short)}</text>'
        )
    if len(series) > 1 or not colours:
        x = left
        for label, colour, _values in series:
            parts.append(
                f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{colour}"/>'
                f'<text x="{x + 16}" y="{height - 12}" font-size="12" fill="#212529">'
                f"{escape(label)}</text>"
            )
            x += 24 + 8 * len(str(label))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _nice_step(peak):
    """A round tick step giving at most about five grid lines."""
    step = 1
    while peak / step > 5:
        for factor in (2, 5, 10):
            if peak / (step * factor) <= 5:
                return step * factor
        step *= 10
    return step
