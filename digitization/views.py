"""The leaders' dashboard (server-rendered pages, SVG charts, no JavaScript) and stored files.

Figures come from the selectors the metrics API reads (digitization.selectors) and the
accountability reports (inspections); a dossier is shown through the API's serializer, masked as
the API masks it. Exports of the metrics tables are the API's own CSV/XLSX; the unit page's staff
and late-dossier tables are exported here with the same writers.
"""

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from digitization import charts, selectors
from digitization.api.renderers import XLSX_MEDIA_TYPE, csv_bytes, xlsx_bytes
from digitization.files import serve_file
from digitization.forms import PRESET_LINKS, PeriodForm
from digitization.indicators import INDICATORS
from digitization.models import DigitizedFile
from inspections import accountability
from inspections.selectors import accountability_scope
from procedures import authorization
from procedures import selectors as dossier_selectors
from procedures.api.serializers import DossierDetailSerializer, TransitionLogSerializer
from procedures.models import LOG_LABELS, Block, DossierComponent, DossierState, Role

DASHBOARD_ROLES = {Role.LEADER, Role.INSPECTOR}
STATE_LABELS = dict(DossierState.choices)
ACTION_LABELS = {**LOG_LABELS, "create": _("Registered")}
TREND_INDICATORS = list(INDICATORS)  # score first, then the six
LATE_DOSSIERS_SHOWN = 200
CHART_UNITS = 20


def _may_open(user) -> bool:
    return authorization.may_act(user, roles=DASHBOARD_ROLES)


def dashboard_page(view):
    """Login and one of the oversight roles; the site's language (Vietnamese unless the user
    chose English) comes from desk.language.DeskLanguageMiddleware."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if not _may_open(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _api_link(path: str, **params) -> dict[str, str]:
    """The metrics API's own CSV and XLSX of a table on screen (session login works there)."""
    query = {k: v for k, v in params.items() if v}
    return {
        fmt: f"/api/v1/metrics/{path}/?" + urlencode({**query, "format": fmt})
        for fmt in ("csv", "xlsx")
    }


def _unit_export_links(unit, table: str, query: str) -> dict[str, str]:
    return {
        fmt: f"/dashboard/don-vi/{unit.code}/xuat/{table}.{fmt}?{query}" for fmt in ("csv", "xlsx")
    }


def _period_query(data) -> str:
    """The period as the dashboard links carry it (ISO dates: unambiguous)."""
    return urlencode(
        {
            "period": data["period"],
            "start": data["start"].isoformat(),
            "end": data["end"].isoformat(),
            "granularity": data["granularity"],
        }
    )


def _presets(request, data) -> list[tuple]:
    """Links for this month, quarter and year, keeping the page's other choices."""
    keep = {
        key: value
        for key, value in request.GET.items()
        if key in ("block", "indicator", "granularity") and value
    }
    current = data.get("period") if data else None
    return [
        (label, "?" + urlencode({**keep, "period": value}), value == current)
        for value, label in PRESET_LINKS
    ]


def _trend_charts(points, granularity: str) -> list[dict]:
    """One line chart per indicator, from the trend points' counts (as the trend API computes
    each indicator's value: the indicators of the point's counts, rounded)."""
    label = "%d/%m" if granularity == "week" else "%m/%Y"
    per_point = [
        (point.start.strftime(label), selectors.rounded_values(point.counts, on=point.start))
        for point in points
    ]
    found = []
    for name in TREND_INDICATORS:
        series = [(text, values[name]) for text, values in per_point]
        found.append(
            {
                "name": name,
                "title": INDICATORS[name],
                "last": next((v for _t, v in reversed(series) if v is not None), None),
                "svg": charts.line_chart(series, title=str(INDICATORS[name]), key=f"trend-{name}"),
            }
        )
    return found


RATE_COLUMNS = ("on_time", "online", "e_result", "digitization", "reuse", "satisfaction")


def _ranking_rows(ranked, query: str) -> str:
    """The ranking table's rows as one piece of markup: hundreds of units, each cell through the
    template engine (lookup, localization, escaping) would cost most of the page's time."""
    separator = get_format("DECIMAL_SEPARATOR")

    def rate(value):
        return "—" if value is None else f"{value:.2f}".replace(".", separator)

    blocks = {value: escape(label) for value, label in Block.choices}
    query = escape(query)
    rows = []
    for each in ranked:
        row, unit = each.row, each.row.unit
        counts, values = row.counts, row.values
        code = escape(unit.code)
        rank = "" if each.rank is None else each.rank
        cells = "".join(
            f"<td>{value}</td>"
            for value in (
                counts.received,
                counts.finished,
                counts.overdue_open,
                *(rate(values[name]) for name in RATE_COLUMNS),
            )
        )
        rows.append(
            f'<tr data-unit="{code}" data-rank="{rank}"><td>{rank or "—"}</td>'
            f'<td class="name"><a href="/dashboard/don-vi/{code}/?{query}">{escape(unit.name)}</a>'
            f' <span class="muted">{code}</span></td>'
            f'<td class="name">{blocks.get(unit.block, code)}</td>{cells}'
            f'<td class="score">{rate(values["score"])}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # escaped above; numbers and "—" otherwise


def _ranked_chart(ranked, indicator: str, query: str):
    rows = ranked if len(ranked) <= CHART_UNITS else ranked[:CHART_UNITS]
    return charts.bar_chart(
        [
            (each.row.unit.name, each.value, f"/dashboard/don-vi/{each.row.unit.code}/?{query}")
            for each in rows
        ],
        key=f"ranking-{indicator}",
    )


@dashboard_page
def dashboard(request):
    """Blocks side by side, each indicator's trend, and the units ranked by a chosen indicator."""
    user = request.user
    form = PeriodForm(request.GET)
    context = {"form": form, "blocks": [], "ranked": [], "block_choices": Block.choices}
    context["presets"] = _presets(request, form.is_valid() and form.cleaned_data)
    if form.is_valid():
        data = form.cleaned_data
        start, end, block = data["start"], data["end"], data["block"]
        indicator, granularity = data["indicator"], data["granularity"]
        rows = selectors.unit_indicators(user, start=start, end=end)
        shown = [row for row in rows if block is None or row.unit.block == block]
        ranked = selectors.ranked(shown, indicator)
        blocks = selectors.block_totals(rows, on=start)
        points = selectors.trend(
            user, indicator="score", granularity=granularity, start=start, end=end, block=block
        )
        query = _period_query(data)
        period = {"from": start.isoformat(), "to": end.isoformat()}
        block_labels = dict(Block.choices)
        context.update(
            start=start,
            end=end,
            chosen_block=block,
            indicator=indicator,
            indicator_label=INDICATORS[indicator],
            granularity=granularity,
            blocks=blocks,
            ranked=ranked,
            ranking_rows=_ranking_rows(ranked, query),
            query=query,
            trend_charts=_trend_charts(points, granularity),
            ranking_chart=_ranked_chart(ranked, indicator, query),
            chart_units=min(len(ranked), CHART_UNITS),
            blocks_chart=charts.grouped_bars(
                [
                    (str(block_labels[row.block]), [row.values[n] for n in TREND_INDICATORS])
                    for row in blocks
                ],
                [str(INDICATORS[n]) for n in TREND_INDICATORS],
                key="blocks",
            ),
            legend=list(
                zip([INDICATORS[n] for n in TREND_INDICATORS], charts.COLOURS, strict=False)
            ),
            exports={
                "ranking": _api_link("rankings", **period, indicator=indicator, block=block),
                "blocks": _api_link("blocks", **period),
                "trend": _api_link(
                    "trend", **period, granularity=granularity, block=block, indicator="score"
                ),
            },
        )
    return render(request, "digitization/dashboard.html", context)


@login_required
def digitized_file(request, pk):
    """A stored file, with its real content type, to those whose scope covers it."""
    return serve_file(request, get_object_or_404(DigitizedFile, pk=pk))


def _unit_or_404(user, code):
    unit = selectors.metric_unit(user, code)
    if unit is None:
        raise Http404
    return unit


def _unit_tables(user, unit, start: date, end: date):
    scope = accountability_scope(user, unit=unit, first_day=start, last_day=end)
    now = timezone.now()
    staff = accountability.staff_report(scope=scope, now=now)
    late = list(
        accountability.late_dossiers(scope.dossiers, now).order_by("due_at", "id")[
            :LATE_DOSSIERS_SHOWN
        ]
    )
    for dossier in late:
        dossier.late_state_label = STATE_LABELS.get(dossier.late_state, "")
    return staff, late


@dashboard_page
def unit_page(request, code):
    """One unit: its indicators and their trend, its staff's accountability, its late dossiers."""
    user = request.user
    unit = _unit_or_404(user, code)
    form = PeriodForm(request.GET)
    context = {"form": form, "unit": unit}
    context["presets"] = _presets(request, form.is_valid() and form.cleaned_data)
    if form.is_valid():
        data = form.cleaned_data
        start, end, granularity = data["start"], data["end"], data["granularity"]
        (row,) = selectors.unit_indicators(user, start=start, end=end, unit=unit) or [None]
        points = selectors.trend(
            user, indicator="score", granularity=granularity, start=start, end=end, unit=unit
        )
        staff, late = _unit_tables(user, unit, start, end)
        period = {"from": start.isoformat(), "to": end.isoformat()}
        query = _period_query(data)
        context.update(
            start=start,
            end=end,
            granularity=granularity,
            row=row,
            indicators=[
                (name, INDICATORS[name], row.values[name] if row else None)
                for name in TREND_INDICATORS
            ],
            trend_charts=_trend_charts(points, granularity),
            staff=staff,
            late=late,
            late_limit=LATE_DOSSIERS_SHOWN,
            query=query,
            exports={
                "unit": _api_link("units", **period, unit=unit.code),
                "trend": _api_link("trend", **period, unit=unit.code, granularity=granularity),
                "staff": _unit_export_links(unit, "nhan-su", query),
                "late": _unit_export_links(unit, "tre-han", query),
            },
        )
    return render(request, "digitization/dashboard_unit.html", context)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


STAFF_COLUMNS = [
    ("Cán bộ", lambda r: r["staff"].username if r["staff"] else "(chưa phân công)"),
    ("Họ tên", lambda r: r["staff"].get_full_name() if r["staff"] else ""),
    ("Hồ sơ đã xử lý", lambda r: r["dossiers_handled"]),
    ("Trễ hạn tại bước của mình", lambda r: r["late_at_step"]),
    ("Số giờ trung bình mỗi bước", lambda r: r["average_hours_at_step"]),
    ("Kết luận kiểm tra", lambda r: r["findings"]["total"]),
]
LATE_COLUMNS = [
    ("Mã hồ sơ", lambda d: d.code),
    ("Thủ tục", lambda d: d.procedure.name),
    ("Trạng thái", lambda d: str(d.get_state_display())),
    ("Ngày tiếp nhận", lambda d: _when(d.received_at)),
    ("Hạn giải quyết", lambda d: _when(d.due_at)),
    ("Ngày hoàn thành", lambda d: _when(d.completed_at)),
    ("Bước trễ hạn", lambda d: str(d.late_state_label)),
    ("Người giữ hồ sơ khi trễ", lambda d: d.late_holder or ""),
]
EXPORTS = {"nhan-su": STAFF_COLUMNS, "tre-han": LATE_COLUMNS}


@dashboard_page
def unit_export(request, code, table, fmt):
    """The unit page's staff or late-dossier table as CSV or XLSX (Vietnamese headers)."""
    if table not in EXPORTS or fmt not in ("csv", "xlsx"):
        raise Http404
    user = request.user
    unit = _unit_or_404(user, code)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponse(str(_("The period is not valid.")), status=400)
    data = form.cleaned_data
    staff, late = _unit_tables(user, unit, data["start"], data["end"])
    columns, rows, name = EXPORTS[table], (staff if table == "nhan-su" else late), table
    headers = [header for header, _get in columns]
    values = [[get(row) for _header, get in columns] for row in rows]
    filename = f"{name}-{unit.code}-{data['start']}-{data['end']}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(csv_bytes(headers, values), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes(headers, values, title=name), content_type=XLSX_MEDIA_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@dashboard_page
def dossier_page(request, code):
    """One dossier, read-only, with the applicant's data masked as the API masks it."""
    user = request.user
    dossier = get_object_or_404(
        dossier_selectors.dossiers_visible_to(user)
        .select_related("procedure", "unit", "handler", "result_file", "result_signed_by")
        .prefetch_related(
            Prefetch(
                "components",
                queryset=DossierComponent.objects.select_related("file").order_by("position", "id"),
            )
        ),
        code=code,
    )
    context = {
        "request": request,
        "now": timezone.now(),
        "unmasked_unit_ids": dossier_selectors.personal_data_unit_ids(user),
    }
    data = DossierDetailSerializer(dossier, context=context).data
    history = TransitionLogSerializer(dossier_selectors.dossier_history(dossier), many=True).data
    log = list(dossier_selectors.dossier_history(dossier))
    return render(
        request,
        "digitization/dashboard_dossier.html",
        {
            "dossier": dossier,
            "data": data,
            "history": [
                (entry, shown, ACTION_LABELS.get(entry.action, entry.action))
                for entry, shown in zip(log, history, strict=True)
            ],
            "query": request.GET.urlencode(),
        },
    )
