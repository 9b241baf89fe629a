"""The terminal tables `metrics run` prints: aligned by terminal cells, literal, coloured
only when asked."""

from sales_metrics.cli.boxes import Column, Table, width


def _table() -> Table:
    view = Table([Column("Region"), Column("Won revenue\ntarget ≥ $1", right=True)], "Revenue")
    view.add_row("東京", ("$12", "green"))
    view.add_row("EMEA\x1b[31m", ("$5", ""))
    return view


def test_columns_line_up_in_terminal_cells():
    lines = _table().render().splitlines()
    assert lines[0].rstrip() == "Revenue"
    body = lines[1:]
    # every line of the box is the same number of terminal cells wide
    assert len({width(line) for line in body}) == 1, body
    # the one-line header sits on the rule under the two-line one; numbers are right-aligned
    assert body[1].startswith("┃              ┃") and body[2].startswith("┃ Region       ┃")
    row = next(line for line in body if "東京" in line)
    assert row.endswith(" $12 │") and width("東京") == 4


def test_control_characters_are_shown_not_obeyed():
    text = _table().render()
    assert "\x1b" not in text and "EMEA\\x1b[31m" in text


def test_colour_only_when_asked():
    assert "\x1b[32m$12\x1b[0m" in _table().render(color=True)
    assert "\x1b[" not in _table().render(color=False).replace("\\x1b[", "")
