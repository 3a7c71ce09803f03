"""Small numbers: primary suppression under 5, secondary suppression of the next-smallest cell
wherever a lone hidden cell could be worked out from its total."""

from insight.statutory import Table, TableRow, suppress_tables
from insight.suppression import hidden_cells


def test_figures_below_5_are_hidden_and_5_is_shown() -> None:
    cells = {"a": 4, "b": 5, "c": 0, "d": 12}
    assert hidden_cells(cells, []) == {"a", "c"}


def test_a_lone_hidden_cell_takes_the_next_smallest_with_it() -> None:
    # total 30 = 3 + 7 + 20: 3 alone hidden is 30 - 7 - 20, so 7 goes too.
    cells = {"total": 30, "x": 3, "y": 7, "z": 20}
    assert hidden_cells(cells, [["total", "x", "y", "z"]]) == {"x", "y"}


def test_two_hidden_cells_in_a_set_need_nothing_more() -> None:
    cells = {"total": 26, "x": 3, "y": 2, "z": 21}
    assert hidden_cells(cells, [["total", "x", "y", "z"]]) == {"x", "y"}


def test_secondary_suppression_spreads_across_rows_and_columns_until_none_is_derivable() -> None:
    # Two authorities (rows A, B) and their Wales total (row W), two columns and a row total.
    cells = {
        ("W", "t"): 40, ("W", "p"): 23, ("W", "q"): 17,
        ("A", "t"): 20, ("A", "p"): 3, ("A", "q"): 17,
        ("B", "t"): 20, ("B", "p"): 20, ("B", "q"): 0,
    }  # fmt: skip
    rows = [[(r, "t"), (r, "p"), (r, "q")] for r in "WAB"]
    columns = [[("W", c), ("A", c), ("B", c)] for c in "tpq"]
    hidden = hidden_cells(cells, rows + columns)
    assert {("A", "p"), ("B", "q")} <= hidden
    for group in rows + columns:
        assert sum(1 for k in group if k in hidden) != 1, group


def test_a_set_whose_other_cells_are_all_hidden_stays_as_it_is() -> None:
    cells = {"total": 4, "x": 2, "y": 2}
    assert hidden_cells(cells, [["total", "x", "y"]]) == {"total", "x", "y"}


def test_a_reconsiderations_outcomes_are_hidden_with_the_number_decided() -> None:
    # 12 decided = 3 ALN + 9 no ALN: the 3 is hidden, and would be 12 - 9 if both were shown.
    columns = ["requested", "decided", "decided:aln", "decided:no-aln"]
    counts = {"requested": 20, "decided": 12, "decided:aln": 3, "decided:no-aln": 9}
    rows = [TableRow(group=g, total=20, cells=dict(counts)) for g in ("all", "W06000015")]
    table = Table(
        name="reconsiderations", meaning="", columns=columns, total=rows[0], groups=rows[1:]
    )
    suppress_tables([table])
    for row in (table.total, *table.groups):
        ended = [row.cells[k] for k in ("decided", "decided:aln", "decided:no-aln")]
        assert ended.count("*") == 2, row
