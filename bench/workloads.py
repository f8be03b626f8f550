"""Workloads that grow with a size, for the benchmarks and the scale tests (not the corpus: no line as written).

Note 004's softmax and cross-entropy derivations written out at K = k classes, and its x^T A x lines at size n,
entry by entry: the corpus reads them from `derivations/004_92ccb6d64e70ff8c.md` (at K = 3, and for every n);
here the size is a number, so the same steps can be timed and tested entry by entry at K = 2 ... 50, n = 2 ... 20.
"""

from __future__ import annotations

import sympy as sp

from derivations.notation import D, completion, derivation, exp, log, matrix, total
from verifier.model import Choice, Constraint, Derivation, Interval, Step, Var


def said(expr: sp.Expr, why: str) -> Step:
    """A step the source presents as correct (its expression only)."""
    return Step(sp.sympify(expr), why, None)


def slipped(expr: sp.Expr, why: str, explanation: str) -> Step:
    """A step the source writes wrongly (expected to be refuted)."""
    return Step(sp.sympify(expr), why, None, "slip", explanation)


def softmax_derivations(k: int) -> tuple[Derivation, ...]:
    """Softmax with categorical cross-entropy at K = k classes: note 004's steps as expressions, for any k."""
    z, z_vars = matrix("z", k, 1, -3, 3)
    zs = list(z)
    ys = [sp.Symbol(f"y_{i + 1}", integer=True) for i in range(k)]
    hats = [sp.Symbol(f"yhat_{i + 1}", positive=True) for i in range(k)]
    denominator = total(exp(v) for v in zs)
    softmax = [exp(v) / denominator for v in zs]
    labels = [Var(y, Choice((0, 1))) for y in ys]
    hat_vars = [Var(h, Interval(0, 1)) for h in hats]
    one_hot = Constraint(ys[-1], 1 - total(ys[:-1]), "the labels are one-hot: y_1 + ... + y_K = 1")
    loss = -total(y * log(h) for y, h in zip(ys, hats, strict=True))
    defined = tuple(zip(hats, softmax, strict=True))
    others = [[i for i in range(k) if i != r] for r in range(k)]

    def column(entry) -> sp.ImmutableMatrix:  # type: ignore[no-untyped-def]
        return sp.ImmutableMatrix([entry(r) for r in range(k)])

    jacobian_setup = derivation(
        id=f"workload-softmax-jacobian-K{k}",
        title=f"Setting up the softmax Jacobian d yhat_i / d z_r (K = {k})",
        note="workload",
        where="",
        variables=z_vars,
        function=sp.ImmutableMatrix(k, k, lambda i, r: D(softmax[i], zs[r])),
        steps=[
            slipped(sp.ImmutableMatrix(k, k, lambda i, r: D(exp(zs[r]) / denominator, zs[r])), "definition of softmax",
                 "the numerator is exp(z_r) whatever i is; it must be exp(z_i) (the line is right only for i = r)"),
            completion(sp.ImmutableMatrix(k, k, lambda i, r: D(exp(zs[i]) / denominator, zs[r])), "numerator exp(z_i)"),
        ],
    )
    diagonal = derivation(
        id=f"workload-softmax-diagonal-K{k}",
        title=f"Softmax Jacobian, case r = i (K = {k})",
        note="workload",
        where="",
        variables=[*z_vars, *hat_vars],
        function=column(lambda r: D(softmax[r], zs[r])),
        definitions=defined,
        remarks="Entry r of each step is the note's line for that r.",
        steps=[
            said(column(lambda r: (exp(zs[r]) * denominator - exp(zs[r]) * exp(zs[r])) / denominator**2),
                 "quotient rule"),
            said(column(lambda r: exp(zs[r]) * denominator / denominator**2 - exp(zs[r]) * exp(zs[r]) / denominator**2),
                 "split"),
            said(column(lambda r: exp(zs[r]) / denominator - (exp(zs[r]) / denominator) ** 2), "cancel"),
            said(column(lambda r: exp(zs[r]) / denominator * (1 - exp(zs[r]) / denominator)), "factor"),
            said(column(lambda r: hats[r] * (1 - hats[r])), "yhat_r = softmax_r"),
        ],
    )
    pairs = [(i, r) for r in range(k) for i in range(k) if i != r]
    off = sp.ImmutableMatrix([D(softmax[i], zs[r]) for i, r in pairs])
    off_diagonal = derivation(
        id=f"workload-softmax-off-diagonal-K{k}",
        title=f"Softmax Jacobian, case i != r (K = {k})",
        note="workload",
        where="",
        variables=[*z_vars, *hat_vars],
        function=off,
        definitions=defined,
        remarks="One entry per pair (i, r) with i != r.",
        steps=[
            said(sp.ImmutableMatrix([(0 * denominator - exp(zs[r]) * exp(zs[i])) / denominator**2 for i, r in pairs]),
                 "quotient rule; exp(z_i) does not depend on z_r"),
            said(sp.ImmutableMatrix([-exp(zs[r]) * exp(zs[i]) / denominator**2 for i, r in pairs]), "drop the zero"),
            said(sp.ImmutableMatrix([-hats[r] * hats[i] for i, r in pairs]),
                 "yhat = softmax"),
        ],
    )
    dl_dyhat = derivation(
        id=f"workload-cce-dL-dyhat-K{k}",
        title=f"Cross-entropy differentiated in yhat_i (K = {k})",
        note="workload",
        where="",
        variables=[*labels, *hat_vars],
        function=loss,
        variable=sp.ImmutableMatrix(hats),
        steps=[
            slipped(sp.ImmutableMatrix([D(-total(y * log(y) for y in ys), h) for h in hats]), "the loss, term by term",
                 "y is written for yhat (in dL/dy_i and in log y_j): read as written the sum holds no yhat, "
                 "and its derivative is 0"),
            completion(sp.ImmutableMatrix([D(loss, h) for h in hats]), "the intended line"),
            said(sp.ImmutableMatrix([-y / h for y, h in zip(ys, hats, strict=True)]),
                 "if i != j the term is constant"),
        ],
    )
    full_loss = -total(y * log(h) for y, h in zip(ys, softmax, strict=True))
    gradient = derivation(
        id=f"workload-cce-gradient-K{k}",
        title=f"Softmax with categorical cross-entropy: dL/dz_r = yhat_r - y_r (K = {k})",
        note="workload",
        where="",
        variables=[*z_vars, *labels, *hat_vars],
        function=full_loss,
        variable=z,
        definitions=defined,
        constraints=(one_hot,),
        remarks="Entry r of each step is the note's line for that r. The last step needs the labels to sum "
                "to 1. The struck-out line dL/dZ_3 = yhat_n - y_n is left out, as the author struck it.",
        steps=[
            said(column(lambda r: total(D(loss, hats[i]) * D(softmax[i], zs[r]) for i in range(k))),
                 "L depends on every yhat_i, and every yhat_i on every z_r"),
            said(column(lambda r: total(-ys[i] / hats[i] * (-hats[r] * hats[i]) for i in others[r])
                        + (-ys[r] / hats[r]) * hats[r] * (1 - hats[r])), "the two cases"),
            said(column(lambda r: total(ys[i] * hats[r] for i in others[r]) + (-ys[r] + ys[r] * hats[r])), "cancel"),
            said(column(lambda r: hats[r] * total(ys[i] for i in others[r]) - ys[r] + ys[r] * hats[r]), "factor"),
            said(column(lambda r: -ys[r] + hats[r] * total(ys[i] for i in others[r]) + hats[r] * ys[r]), "reorder"),
            said(column(lambda r: -ys[r] + hats[r] * (total(ys[i] for i in others[r]) + ys[r])), "factor yhat_r"),
            said(column(lambda r: hats[r] - ys[r]), "the labels sum to 1"),
        ],
    )
    return jacobian_setup, diagonal, off_diagonal, dl_dyhat, gradient


def quadratic_form(n: int) -> tuple[Derivation, ...]:
    """x^T A x at size n, entry by entry: the form as an index sum, and its gradient (note 004's lines 27-31)."""
    x, x_vars = matrix("x", n, 1)
    a, a_vars = matrix("a", n, n)
    variables = [*x_vars, *a_vars]
    form = (x.T * a * x)[0, 0]
    index_sum = total(a[i, j] * x[i] * x[j] for i in range(n) for j in range(n))
    form_derivation = derivation(
        id=f"workload-xtax-n{n}",
        title=f"x^T A x as an index sum (n = {n})",
        note="workload",
        variables=variables,
        function=form,
        steps=[
            said(index_sum, "write out the products"),
        ],
    )
    row_terms = [total(a[k, j] * x[k] * x[j] for j in range(n)) for k in range(n)]
    column_terms = [total(a[i, k] * x[i] * x[k] for i in range(n)) for k in range(n)]
    column_rest = [total(a[i, k] * x[i] * x[k] for i in range(n) if i != k) for k in range(n)]
    big_a, big_x = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("x", n, 1)
    gradient = derivation(
        id=f"workload-xtax-grad-n{n}",
        title=f"Gradient of x^T A x (n = {n})",
        note="workload",
        variables=variables,
        function=index_sum,
        variable=x,
        definitions=((big_a, a), (big_x, x)),
        remarks="Entry k of each step is the note's line for that k.",
        steps=[
            Step(sp.ImmutableMatrix([D(row_terms[k], x[k]) + D(column_terms[k], x[k]) for k in range(n)]),
                 "keep the terms that hold x_k", None, "error",
                 "the term a_kk x_k^2 is in both sums, so it is counted twice"),
            completion(sp.ImmutableMatrix([D(row_terms[k] + column_rest[k], x[k]) for k in range(n)]),
                       "the terms with i = k, then those with j = k and i != k"),
            said(sp.ImmutableMatrix([total(a[k, j] * x[j] for j in range(n)) + total(a[i, k] * x[i] for i in range(n))
                                     for k in range(n)]), "differentiate"),
            completion((big_x.T * big_a * big_x).diff(big_x), "SymPy's MatrixSymbol calculus, checked as a claim"),
        ],
    )
    return form_derivation, gradient
