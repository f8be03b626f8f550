"""Sums to a symbolic size in text files: kept as sums, proved for every size, screened at small sizes."""

import pytest

from verifier import verify
from verifier.reader.document import read_text

HEADER = "```where\nn positive integer\n{extra}```\n\n# D\n\n$${chain}$$\n"

CASES = [  # (extra where lines, the chain, the verdict of each step)
    ("", r"\frac{d}{da} \sum_{i=1}^{n} (a x_i)^2 = 2a \sum_{i=1}^n x_i^2", ["proved", "proved"]),
    ("", r"\frac{d}{da} \sum_{i=1}^{n} (a x_i)^2 = 2a \sum_{i=1}^n x_i", ["proved", "refuted"]),
    ("indices r from 1 to n\n", r"\frac{\partial}{\partial w_r} \sum_{i=1}^{n} w_i x_i = x_r", ["proved", "proved"]),
    ("indices r from 1 to n\n", r"\frac{\partial}{\partial w_r} \sum_{i=1}^{n} w_i x_i = x_r^2", ["proved", "refuted"]),
    ("indices j from 1 to n\n\\ell = \\log\\left(\\sum_{i=1}^{n}\\exp(x_{i})\\right)\n"
     "s_j = \\frac{\\exp(x_j)}{\\sum_{i=1}^{n}\\exp(x_{i})}\n",
     r"\frac{\partial \ell}{\partial x_j} = \frac{\exp(x_j)}{\sum_{i=1}^{n}\exp(x_{i})} = s_j", ["proved", "proved"]),
    # an entry defined for every index, a declared function as the derivative's name (J(w, b))
    ("w, b in (-2, 2)\n\\hat{y}^{(i)} = \\sigma(w x^{(i)} + b)\n"
     "J(w,b) = -\\frac{1}{n} \\sum_{i=1}^{n} [y^{(i)} \\log(\\hat{y}^{(i)}) + (1-y^{(i)}) \\log(1-\\hat{y}^{(i)})]\n",
     r"\frac{\partial J}{\partial b} = \frac{1}{n}\sum_{j=1}^n(\hat{y}^{(j)}-y^{(j)})", ["proved"]),
    ("w, b in (-2, 2)\n\\hat{y}^{(i)} = \\sigma(w x^{(i)} + b)\n"
     "J(w,b) = -\\frac{1}{n} \\sum_{i=1}^{n} [y^{(i)} \\log(\\hat{y}^{(i)}) + (1-y^{(i)}) \\log(1-\\hat{y}^{(i)})]\n",
     r"\frac{\partial J}{\partial b} = \frac{1}{n}\sum_{j=1}^n(\hat{y}^{(j)}+y^{(j)})", ["refuted"]),
]


@pytest.mark.parametrize(("extra", "chain", "verdicts"), CASES)
def test_a_sum_to_a_symbolic_size_is_proved_or_refuted_for_every_size(extra: str, chain: str,
                                                                      verdicts: list[str]) -> None:
    document = read_text(HEADER.format(extra=extra, chain=chain), "sizes.md")
    assert document.errors == ()
    (read,) = document.derivations
    result = verify(read.derivation, 5.0)
    assert [s.verdict.verdict for s in result.steps] == verdicts
    assert result.numeric is not None and result.numeric.passed
    refuted = [s.verdict.counterexample for s in result.steps if s.verdict.verdict == "refuted"]
    assert all(c is not None and "n" in c.point for c in refuted)  # the size it was refuted at is shown
