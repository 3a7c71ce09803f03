"""Exports: CSV (one table) and an ODS workbook (timeliness, statutory figures and a notes sheet
saying what each column means). Written with the standard library: an ODS file is a zip of XML
(OpenDocument 1.2: `mimetype` first and stored, then the manifest and the content).
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from enum import StrEnum
from xml.sax.saxutils import escape

from insight.statistics_notes import NOTES
from insight.statutory import StatutoryReport
from insight.timeliness import Row, TimelinessReport

CSV = "text/csv; charset=utf-8"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


class ExportName(StrEnum):
    TIMELINESS = "timeliness"
    STATUTORY = "statutory"


class ExportFormat(StrEnum):
    CSV = "csv"
    ODS = "ods"


TIMELINESS_COLUMNS = (
    "rule",
    "group_by",
    "group",
    "completed",
    "within_time",
    "late",
    "limit_lifted",
    "within_time_percent",
    "median_days",
    "p90_days",
    "breaches",
    "median_breach_days",
    "open_total",
    "open_running",
    "open_paused",
    "open_lifted",
    "open_overdue",
    "exceptions",
)
STATUTORY_COLUMNS = ("table", "group", "column", "count")


def _cell(value: object) -> object:
    return "" if value is None else value


def timeliness_rows(report: TimelinessReport) -> list[list[object]]:
    out: list[list[object]] = [list(TIMELINESS_COLUMNS)]
    for rule in report.rules:
        rows: Sequence[Row] = [*rule.groups, rule.total]
        for r in rows:
            exceptions = "; ".join(f"{k}={v}" for k, v in r.exceptions.items())
            out.append(
                [
                    rule.rule,
                    report.group_by.value,
                    r.group,
                    *(
                        _cell(v)
                        for v in (
                            r.completed,
                            r.within_time,
                            r.late,
                            r.limit_lifted,
                            r.within_time_percent,
                            r.median_days,
                            r.p90_days,
                            r.breaches,
                            r.median_breach_days,
                            r.open.total,
                            r.open.running,
                            r.open.paused,
                            r.open.lifted,
                            r.open.overdue,
                        )
                    ),
                    exceptions,
                ]
            )
    return out


def statutory_rows(report: StatutoryReport) -> list[list[object]]:
    out: list[list[object]] = [list(STATUTORY_COLUMNS)]
    for table in report.tables:
        for r in [*table.groups, table.total]:
            out.append([table.name, r.group, "total", r.total])
            out += [[table.name, r.group, c, v] for c, v in r.cells.items()]
    return out


def _csv(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def timeliness_csv(report: TimelinessReport) -> str:
    return _csv(timeliness_rows(report))


def statutory_csv(report: StatutoryReport) -> str:
    return _csv(statutory_rows(report))


def _ods_cell(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = escape(str(value))
        return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    return (
        f'<table:table-cell office:value-type="float" office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def _ods_table(name: str, rows: Iterable[Sequence[object]]) -> str:
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(_cell(v)) for v in row) + "</table:table-row>"
        for row in rows
    )
    return f'<table:table table:name="{escape(name)}">{body}</table:table>'


_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
    "</office:document-content>"
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def workbook(timeliness: TimelinessReport, statutory: StatutoryReport) -> bytes:
    about = [
        ["scope", timeliness.scope],
        ["as of", timeliness.as_of.isoformat()],
        ["period", f"{timeliness.period_from} to {timeliness.period_to}"],
        ["", ""],
        ["column", "meaning"],
        *NOTES,
    ]
    tables = (
        _ods_table("timeliness", timeliness_rows(timeliness))
        + _ods_table("statutory", statutory_rows(statutory))
        + _ods_table("notes", about)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODS, compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(
            "content.xml", _CONTENT.format(tables=tables), compress_type=zipfile.ZIP_DEFLATED
        )
    return buffer.getvalue()
