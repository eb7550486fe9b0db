"""Secret values never reach the store: it keeps exactly the hashes a finding holds."""

from __future__ import annotations

import base64
from pathlib import Path

from sqlalchemy import create_engine, select

from kubedrift.diff import DiffOptions, diff_object
from kubedrift.model import Finding
from kubedrift.store import SqlStore
from kubedrift.store.engine import parse_url
from kubedrift.store.schema import finding_changes, findings, metadata

from .builders import at

PLAIN = ("hunter2-desired", "hunter2-live", "hunter2-changed")


def secret(**values: str) -> dict[str, object]:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "ml"},
        "data": data,
    }


def secret_finding(live: str) -> Finding:
    """A real finding of the diff layer on a Secret value (so the values are hashes)."""
    desired = {**secret(), "stringData": {"password": PLAIN[0]}}
    [found] = diff_object(desired, secret(password=live), DiffOptions(secret_hash_key=b"k" * 32))
    assert str(found.desired).startswith("sha256:")
    assert str(found.live).startswith("sha256:")
    return found


def test_a_secret_finding_is_stored_as_the_hashes_it_holds(sql_url: str) -> None:
    first, second = secret_finding(PLAIN[1]), secret_finding(PLAIN[2])
    with SqlStore.open(sql_url) as store:
        store.record_scan("prod-a", [first], at=at(0))
        store.record_scan("prod-a", [second], at=at(5))
        [episode] = store.open_findings()
        assert episode.finding == second

    rows = _all_rows(sql_url)
    [row] = rows["findings"]
    assert (row["desired"], row["live"]) == (second.desired, second.live)
    assert [(r["desired"], r["live"]) for r in rows["finding_changes"]] == [
        (first.desired, first.live),
        (second.desired, second.live),
    ]
    dump = repr(rows)
    for plain in PLAIN:
        assert plain not in dump
        assert base64.b64encode(plain.encode()).decode() not in dump


def test_no_secret_bytes_in_the_sqlite_files(tmp_path: Path) -> None:
    path = tmp_path / "timeline.db"
    with SqlStore.open(str(path)) as store:
        store.record_scan("prod-a", [secret_finding(PLAIN[1])], at=at(0))
        store.record_scan("prod-a", [secret_finding(PLAIN[2])], at=at(5))
    files = [p for p in tmp_path.iterdir() if p.name.startswith("timeline.db")]
    raw = b"".join(p.read_bytes() for p in files)
    for plain in PLAIN:
        assert plain.encode() not in raw
        assert base64.b64encode(plain.encode()) not in raw


def _all_rows(url: str) -> dict[str, list[dict[str, object]]]:
    engine = create_engine(parse_url(url))
    try:
        with engine.connect() as connection:
            out = {
                table.name: [dict(r._mapping) for r in connection.execute(select(table))]
                for table in metadata.sorted_tables
            }
            assert set(out) >= {findings.name, finding_changes.name}
            return out
    finally:
        engine.dispose()


def finding_under(store: SqlStore, live: str) -> Finding:
    """The finding a watcher writing `store` makes: hashed under the store's key."""
    desired = {**secret(), "stringData": {"password": PLAIN[0]}}
    options = DiffOptions(secret_hash_key=store.secret_hash_key())
    [found] = diff_object(desired, secret(password=live), options)
    return found


def test_secret_hashes_survive_a_restart_of_the_writer(sql_url: str) -> None:
    """Regression (issue 12.6): hashes under a per-process key changed at every restart, and
    each restart recorded a value change of every Secret finding."""
    with SqlStore.open(sql_url) as first:
        first.record_scan("prod-a", [finding_under(first, PLAIN[1])], at=at(0))
    with SqlStore.open(sql_url) as second:  # the watcher restarted, or a standby took over
        delta = second.record_scan("prod-a", [finding_under(second, PLAIN[1])], at=at(1))
        assert delta.is_empty
        [stored] = second.open_findings()
        assert len(second.changes(stored.id)) == 1
        assert str(stored.finding.live) == str(finding_under(second, PLAIN[1]).live)


def test_each_store_has_its_own_secret_hash_key(tmp_path: Path) -> None:
    with SqlStore.open(str(tmp_path / "a.db")) as a, SqlStore.open(str(tmp_path / "b.db")) as b:
        assert len(a.secret_hash_key()) == 32
        assert a.secret_hash_key() != b.secret_hash_key()
        assert a.secret_hash_key() == a.secret_hash_key()
