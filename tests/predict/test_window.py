"""`Window`: nothing from at or after its cutoff can be in it, and it only narrows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubedrift.predict.window import Window
from predict.builders import MONDAY, ep, obj

A = obj("a")


def test_an_episode_from_after_the_cutoff_is_refused() -> None:
    with pytest.raises(ValueError, match="after the cutoff"):
        Window(MONDAY + timedelta(days=1), (ep(A, 2),))


def test_a_resolution_after_the_cutoff_is_refused() -> None:
    with pytest.raises(ValueError, match="after the cutoff"):
        Window(MONDAY + timedelta(days=1), (ep(A, 0.9, hours=5),))


def test_censored_hides_later_onsets_and_resolutions() -> None:
    cutoff = MONDAY + timedelta(days=1)
    window = Window.censored(cutoff, [ep(A, 0.9, hours=5), ep(A, 0.1), ep(A, 3)])
    assert [e.first_seen for e in window.episodes] == [
        MONDAY + timedelta(days=0.1),
        MONDAY + timedelta(days=0.9),
    ]
    assert window.episodes[0].resolved_at is not None
    assert window.episodes[1].resolved_at is None  # resolved after the cutoff: open then


def test_before_narrows_and_never_widens() -> None:
    window = Window.censored(MONDAY + timedelta(days=7), [ep(A, d, hours=30) for d in range(6)])
    narrowed = window.before(MONDAY + timedelta(days=3))
    assert narrowed == Window.censored(narrowed.cutoff, list(window.episodes))
    assert len(narrowed.episodes) == 3
    with pytest.raises(ValueError, match="cannot see past the window"):
        narrowed.before(MONDAY + timedelta(days=4))


def test_a_naive_cutoff_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Window(MONDAY.replace(tzinfo=None), ())
