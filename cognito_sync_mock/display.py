"""How the mock's objects look in a notebook (HTML tables) and in a plain ``repr`` (text).

Kept apart from the domain, which never imports it: each table function takes plain rows
and returns markup or text, and the domain objects a user looks at (a ``Backend``, the
``Dataset`` that ``backend.dataset(...)`` returns) get their tables here, read from them.
"""

from __future__ import annotations

import html
from typing import Any, Callable, Iterable, Sequence

from .backend import Backend
from .backend.models import Dataset

_MAX_ROWS = 200  # a notebook cell stays readable; the rest is counted, not shown
_MAX_CELL = 80


def _cell(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def html_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table with a caption; values are escaped, long ones cut, many rows counted."""
    rows = list(rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows[:_MAX_ROWS]
    )
    more = f"<p>… and {len(rows) - _MAX_ROWS} more</p>" if len(rows) > _MAX_ROWS else ""
    caption = f"<caption>{html.escape(title)}</caption>"
    return (
        f'<table class="cognito-sync-mock">{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'
    )


def text_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The same table as aligned plain text, for ``repr`` and terminals."""
    rows = [[_cell(v) for v in row] for row in rows]
    shown = rows[:_MAX_ROWS]
    widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
    lines = [title, "  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in shown]
    if len(rows) > _MAX_ROWS:
        lines.append(f"… and {len(rows) - _MAX_ROWS} more")
    return "\n".join(lines)


class TableList(list):  # type: ignore[type-arg]
    """A list that shows itself as a table: in Jupyter as HTML, elsewhere as text."""

    title = ""
    columns: Sequence[str] = ()

    def row(self, item: Any) -> Sequence[Any]:
        return [item.get(c) for c in self.columns]

    def _repr_html_(self) -> str:
        return html_table(f"{self.title} ({len(self)})", self.columns, (self.row(i) for i in self))

    def __repr__(self) -> str:
        return text_table(f"{self.title} ({len(self)})", self.columns, (self.row(i) for i in self))


class CallList(TableList):
    """The calls the mock answered."""

    title = "calls"
    columns = ("operation", "status", "error", "caller", "params")

    def row(self, item: Any) -> Sequence[Any]:
        params = ", ".join(f"{k}={v!r}" for k, v in item.params.items())
        return [item.operation, item.status, item.error, item.caller, params]


class StreamRecordList(TableList):
    """Cognito Streams records that were published."""

    title = "stream records"
    columns = ("identityId", "datasetName", "operation", "syncCount", "kinesisSyncRecords")

    def row(self, item: Any) -> Sequence[Any]:
        records = ", ".join(f"{r['key']}={r['value']!r}" for r in item.get("kinesisSyncRecords", []))
        if "kinesisSyncRecordsURL" in item:  # an S3Url record: its records are behind the URL
            records = item["kinesisSyncRecordsURL"]
        return [item.get("identityId"), item.get("datasetName"), item.get("operation"), item.get("syncCount"), records]


class PushList(TableList):
    """Silent push notifications that were sent."""

    title = "push notifications"
    columns = ("platform", "device_id", "token", "payload")


def _shows_as_table(
    cls: type, title: Callable[[Any], str], columns: Sequence[str], rows: Callable[[Any], list[list[Any]]]
) -> None:
    """Give a domain class a notebook table and a text ``repr``, both read from its objects."""

    def as_html(self: Any) -> str:
        return html_table(title(self), columns, rows(self))

    def as_text(self: Any) -> str:
        return text_table(title(self), columns, rows(self))

    cls._repr_html_ = as_html  # type: ignore[attr-defined]
    cls.__repr__ = as_text  # type: ignore[assignment,method-assign]


def _backend_rows(backend: Backend) -> list[list[Any]]:
    with backend.lock:
        return [
            [pool_id, identity_id, d.name, d.sync_count, d.num_records, d.data_storage, d.exists]
            for pool_id, pool in sorted(backend.pools.items())
            for identity_id, identity in sorted(pool.identities.items())
            for d in sorted(identity.datasets.values(), key=lambda d: d.name)
        ]


def _dataset_title(dataset: Dataset) -> str:
    state = "" if dataset.exists else ", deleted"
    return f"dataset {dataset.name} of {dataset.identity_id}: sync count {dataset.sync_count}{state}"


def _dataset_rows(dataset: Dataset) -> list[list[Any]]:
    return [
        [r.key, "(deleted)" if r.value is None else r.value, r.sync_count, r.last_modified_date, r.last_modified_by]
        for r in sorted(dataset.records.values(), key=lambda r: (r.sync_count, r.key))
    ]


_shows_as_table(
    Backend,
    lambda backend: f"backend {backend.account_id} {backend.region}",
    ("pool", "identity", "dataset", "sync count", "records", "bytes", "exists"),
    _backend_rows,
)
_shows_as_table(Dataset, _dataset_title, ("key", "value", "sync count", "last modified", "by"), _dataset_rows)
