"""Which row each row became when a list or tree is written anew: moved, edited, removed, added."""

from __future__ import annotations

from afteraction.domain.carry import Placed, carry_over


def rows(first_id: int, *items: tuple[str, str]) -> list[Placed]:
    return [Placed(first_id + index, place, text) for index, (place, text) in enumerate(items)]


def test_unchanged_rows_are_themselves_and_an_added_one_changes_nothing():
    before = rows(1, ("1", "Pool too small"), ("1.1", "Config dropped"))
    after = rows(10, ("1", "Pool too small"), ("1.1", "Config dropped"), ("1.1.1", "No diff in review"))
    assert carry_over(before, after) == {1: 10, 2: 11}


def test_a_moved_row_follows_its_text_not_its_place():
    before = rows(1, ("1.1", "A"), ("1.2", "B"))
    after = rows(10, ("1.1", "B"), ("1.2", "A"))
    assert carry_over(before, after) == {1: 11, 2: 10}


def test_an_edited_row_keeps_its_place():
    before = rows(1, ("0", "Paging was slow"), ("1", "Runbook was old"))
    after = rows(10, ("0", "Paging took nine minutes"), ("1", "Runbook was old"))
    assert carry_over(before, after) == {1: 10, 2: 11}


def test_a_removed_row_is_gone_and_does_not_take_its_neighbours_place():
    before = rows(1, ("1.1", "A"), ("1.2", "B"), ("1.3", "C"))
    after = rows(10, ("1.1", "B"), ("1.2", "C"))
    assert carry_over(before, after) == {2: 10, 3: 11}


def test_ids_reused_by_the_database_do_not_confuse_it_and_the_same_text_twice_is_matched_once_each():
    before = rows(1, ("0", "Retry"), ("1", "Retry"), ("2", "Alert"))
    after = rows(1, ("0", "Alert"), ("1", "Retry"), ("2", " retry "))
    assert carry_over(before, after) == {2: 2, 1: 3, 3: 1}
