"""The numeric cross-check: accurate on true derivatives, and it catches a planted 1e-9 relative error."""

import dataclasses

import pytest
import sympy as sp

from derivations import BY_ID
from verifier import Context, NumericCheck
from verifier.numeric import TOLERANCE, cross_check


def check_with_final(derivation_id: str, scale: sp.Expr = sp.S.One) -> NumericCheck:
    derivation = BY_ID[derivation_id]
    final = derivation.steps[-1].expr * scale
    return cross_check(derivation, final, Context.of(derivation))


@pytest.mark.parametrize(
    ("derivation_id", "method"),
    [("000-sigmoid", "complex step"), ("004-tanh", "complex step"), ("000-softmax", "complex step"),
     ("001-dL-dw1", "complex step"), ("004-leaky-relu", "complex step"), ("000-relu", "complex step"),
     ("001-step", "Richardson")],
)
def test_true_derivative_passes_at_1e_minus_11(derivation_id: str, method: str) -> None:
    numeric = check_with_final(derivation_id)
    assert numeric.method.startswith(method)
    assert numeric.points >= 200
    assert numeric.max_rel_error <= 1e-11
    assert numeric.passed


@pytest.mark.parametrize("derivation_id", ["000-sigmoid", "004-tanh", "002-chain-rule", "004-leaky-relu"])
def test_a_planted_relative_error_of_1e_minus_9_is_caught(derivation_id: str) -> None:
    numeric = check_with_final(derivation_id, 1 + sp.Rational(1, 10**9))
    assert numeric.max_rel_error > TOLERANCE
    assert not numeric.passed


def test_a_wrong_kink_convention_is_caught() -> None:
    derivation = BY_ID["000-relu"]
    wrong = dataclasses.replace(derivation, kink=dataclasses.replace(derivation.kink, value=sp.Rational(1, 2)))
    numeric = cross_check(wrong, derivation.steps[-1].expr, Context.of(wrong))
    assert numeric.kink is not None and not numeric.kink.consistent
    assert not numeric.passed


ELU = ("# E\n\n```where\nx real\n\\alpha = 1.5\nat x = 0 the derivative is {convention}\n```\n\n"
       "$$\\frac{{d}}{{dx}}\\begin{{cases}} x & x > 0 \\\\ \\alpha(e^{{x}} - 1) & x \\le 0 \\end{{cases}} = "
       "\\begin{{cases}} 1 & x > 0 \\\\ \\alpha e^{{x}} & x \\le 0 \\end{{cases}}$$\n")


@pytest.mark.parametrize(("convention", "consistent"), [
    ("\\alpha", True),  # a defined constant (it was never put in: FAILED), the derivative's limit from the left
    ("1.5", True),
    ("1", False),  # between the one-sided limits, but the formula gives 1.5 there
    ("1.6", False),  # outside them
])
def test_a_convention_is_checked_against_the_one_sided_limits(convention: str, consistent: bool) -> None:
    from tests.test_document import check_files_text

    (checked,) = check_files_text(ELU.format(convention=convention))
    ((_, result),) = checked.results
    assert result.numeric.kink.consistent == consistent
    assert abs(result.numeric.kink.left - 1.5) < 1e-6 and abs(result.numeric.kink.right - 1) < 1e-6


def test_identities_have_no_numeric_check() -> None:
    derivation = BY_ID["002-sigmoid-exp"]
    assert cross_check(derivation, derivation.steps[-1].expr, Context.of(derivation)) is None


@pytest.mark.parametrize(("where", "formula"), [
    # differenced, not complex-stepped (mpmath's erfinv is real only), up to the ends of the natural domain
    ("", "\\frac{d}{dx} \\operatorname{erfinv}(x) = \\frac{\\sqrt{\\pi}}{2} e^{\\operatorname{erfinv}(x)^2}"),
    ("x in (0.01, 1.99)",
     "\\frac{d}{dx}\\operatorname{erfcinv}(x) = -\\frac{\\sqrt\\pi}{2}e^{\\operatorname{erfcinv}(x)^2}"),
    ("x in (0.001, 6)", "\\frac{d}{dx} |x| \\log x = \\frac{|x|}{x} \\log x + \\frac{|x|}{x}"),
])
def test_a_derivative_near_the_end_of_its_domain_is_checked_within_it(where: str, formula: str) -> None:
    from tests.test_document import check_files_text

    block = f"```where\n{where}\n```\n\n" if where else ""
    (checked,) = check_files_text(f"# D\n\n{block}$${formula}$$\n")
    ((_, result),) = checked.results
    assert [s.verdict.verdict for s in result.steps] == ["proved", "proved"]
    assert result.numeric is not None and result.numeric.passed, result.numeric


def test_a_float_cancellation_is_rechecked_at_high_precision() -> None:
    """log Phi(x) at x = -6 cancels in floats (1 + erf = 2e-9): those points are computed again at 50 digits."""
    from tests.test_document import check_files_text

    formula = "\\frac{d}{dx}\\log\\Phi(x) = \\frac{\\phi(x)}{\\Phi(x)}"
    (checked,) = check_files_text(f"# D\n\n```where\nx real\n```\n\n$${formula}$$\n")
    ((_, result),) = checked.results
    assert result.numeric is not None and result.numeric.passed and "at 50+ digits" in result.numeric.method


def test_a_value_that_is_not_real_at_high_precision_is_undefined_not_zero() -> None:
    """sqrt(x) at x < 0: the recheck keeps such points undefined, so the check says to declare the domain."""
    from tests.test_document import check_files_text

    text = "# D\n\n```where\nx in (-0.3, 6)\n```\n\n$$\\frac{d}{dx}\\sqrt{x} = \\frac{1}{2\\sqrt{x}}$$\n"
    (checked,) = check_files_text(text)
    ((_, result),) = checked.results
    assert result.numeric is not None and not result.numeric.passed and result.numeric.undefined_points > 0


def test_an_identically_zero_derivative_is_not_failed_on_rounding_noise() -> None:
    """d/dx (tanh x - 1 + 2/(e^{2x} + 1)) is 0: both sides are noise in floats, and agree at 50 digits."""
    from tests.test_document import check_files_text

    formula = ("\\frac{d}{dx}\\left(\\tanh x - 1 + \\frac{2}{e^{2x}+1}\\right) = "
               "1 - \\tanh^2 x - \\frac{4e^{2x}}{(e^{2x}+1)^2}")
    (checked,) = check_files_text(f"# D\n\n$${formula}$$\n")
    ((_, result),) = checked.results
    assert [s.verdict.verdict for s in result.steps] == ["proved", "proved"]
    assert result.numeric is not None and result.numeric.passed, result.numeric
