"""`kubedrift report`: one self-contained HTML audit report with SVG charts (optionally PDF).

    history = read_history(store, Period(since, until), HistoryFilter(cluster="prod-a"))
    data = build_report(scan=report, history=history, now=now)      # either input may be None
    html = render_html(data)                                          # one file, no network

Modules, one responsibility each:

    period   Period: the window, its UTC days, the period before it (the trend's base)
    values   the frozen values: ReportData, Summary, one type per chart (numbers and labels)
    series   chart values from episodes or findings (pure; MTTR from the store's stats)
    data     ReportData from a scan Report and/or the timeline store (one read)
    charts   each chart value drawn as an accessible SVG string (matplotlib, imported lazily)
    html     the whole report as one HTML document: styles and script inline
    pdf      the HTML printed to PDF by Debian's headless chromium, when it is installed
    output   atomic writes of the result next to its final path

The dashboard (`kubedrift.api`) reuses `values`, `series` and `charts`: a chart is a function
of its value, whatever read the value.
"""

from kubedrift.report.data import History, ReportOptions, build_report, read_history
from kubedrift.report.period import Period
from kubedrift.report.values import ReportData

__all__ = ["History", "Period", "ReportData", "ReportOptions", "build_report", "read_history"]
