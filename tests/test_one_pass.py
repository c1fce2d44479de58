"""One pass of validation: a core call reports every bad row at once, so the Excel face calls
the core once for all rows and once more for the good rows only."""

import numpy as np

import retention_xl as rx
from retention_xl.excel import cells


def test_profit_uplift_reports_every_kind_of_bad_row_in_one_error():
    # row 0 bad retention (input check), row 1 improved retention reaches 1 (uplift check),
    # row 2 value today not above 0 (the percentage check), row 3 fine
    try:
        rx.profit_uplift([100, 100, 10, 100], [1.5, 0.97, 0.5, 0.9], [0.05, 0.05, 0.05, 0.05],
                         acquisition_cost=[0, 0, 50, 0])
    except rx.RetentionInputError as error:
        rows = sorted(p.position[0] for p in error.problems)
        fields = {p.position[0]: p.field for p in error.problems}
    else:
        raise AssertionError("bad rows were accepted")
    assert rows == [0, 1, 2]
    assert fields == {0: "retention", 1: "uplift", 2: "margin"}


def test_customer_value_reports_input_and_size_problems_together():
    try:
        rx.customer_value(np.array([1e308, -1, 100]), np.array([0.99, 1.5, 0.9]))
    except rx.RetentionInputError as error:
        assert sorted(p.position[0] for p in error.problems) == [0, 1]
    else:
        raise AssertionError("bad rows were accepted")


def test_the_excel_face_calls_the_core_twice_at_most():
    calls = []

    def core(**arguments):
        calls.append(arguments)
        return rx.profit_uplift(**arguments)

    ranges = {"margin": cells.read_cells([[100.0], [100.0], [10.0], [100.0]], "margin"),
              "retention": cells.read_cells([[1.5], [0.97], [0.5], [0.9]], "retention"),
              "uplift": cells.read_cells([[0.05]] * 4, "uplift"),
              "acquisition_cost": cells.read_cells([[0.0], [0.0], [50.0], [0.0]], "acquisition_cost")}
    out = cells.evaluate(core, **ranges)
    assert len(calls) == 2
    assert [row[0][:5] for row in out[:3]] == ["#NUM!"] * 3
    assert np.isclose(out[3][0], rx.profit_uplift(100, 0.9, 0.05))
