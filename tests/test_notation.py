"""The vocabulary derivations are written in: explicit matrices and masks."""

from collections.abc import Callable

import pytest

from derivations.notation import mask, matrix


@pytest.mark.parametrize("make", [matrix, mask])
@pytest.mark.parametrize(("rows", "cols"), [(3, 3), (12, 12), (2, 32), (32, 3), (11, 1)])
def test_every_entry_of_a_matrix_has_its_own_symbol(make: Callable[..., tuple], rows: int, cols: int) -> None:
    entries, _ = make("a", rows, cols)
    assert len(set(entries)) == rows * cols
