"""Note 004 in entry notation: x^T A x as index sums at n = 2 ... 6, and the cross-entropy gradient for a symbolic K."""

import sympy as sp

from derivations.notation import D, completion, derivation, error, exp, log, matrix, step, total
from verifier.model import Choice, Constraint, Family, IndexRange, Interval, Var

NOTE = "004_92ccb6d64e70ff8c.txt"
SIZES = (2, 3, 4, 5, 6)


def quadratic_form(n: int) -> tuple:
    """The two x^T A x derivations at size n: the form as an index sum, and its gradient."""
    x, x_vars = matrix("x", n, 1)
    a, a_vars = matrix("a", n, n)
    variables = [*x_vars, *a_vars]
    form = (x.T * a * x)[0, 0]
    index_sum = total(a[i, j] * x[i] * x[j] for i in range(n) for j in range(n))
    form_derivation = derivation(
        id=f"004-xtax-n{n}",
        title=f"x^T A x as an index sum (n = {n})",
        note=NOTE,
        variables=variables,
        function=form,
        steps=[
            step(r"x^T A x = \sum_{i=1}^N \sum_{j=1}^N a_{ij} x_i x_j =", index_sum, "write out the products",
                 cites=(27,)),
        ],
    )
    row_terms = [total(a[k, j] * x[k] * x[j] for j in range(n)) for k in range(n)]
    column_terms = [total(a[i, k] * x[i] * x[k] for i in range(n)) for k in range(n)]
    column_rest = [total(a[i, k] * x[i] * x[k] for i in range(n) if i != k) for k in range(n)]
    big_a, big_x = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("x", n, 1)
    gradient = derivation(
        id=f"004-xtax-grad-n{n}",
        title=f"Gradient of x^T A x (n = {n})",
        note=NOTE,
        variables=variables,
        function=index_sum,
        variable=x,
        definitions=((big_a, a), (big_x, x)),
        remarks="Entry k of each step is the note's line for that k.",
        steps=[
            error(r"\frac{\partial f}{\partial x_k} = \frac{\partial}{\partial x_k} \sum_{j=1}^N a_{kj} x_k x_j + "
                  r"\frac{\partial}{\partial x_k} \sum_{i=1}^N a_{ik} x_i x_k =",
                  sp.ImmutableMatrix([D(row_terms[k], x[k]) + D(column_terms[k], x[k]) for k in range(n)]),
                  "keep the terms that hold x_k",
                  "the term a_kk x_k^2 is in both sums, so it is counted twice", cites=(29,)),
            completion(sp.ImmutableMatrix([D(row_terms[k] + column_rest[k], x[k]) for k in range(n)]),
                       "the terms with i = k, then those with j = k and i != k"),
            step(r"= \sum_{j=1}^N a_{kj} x_j + \sum_{i=1}^N a_{ik} x_i",
                 sp.ImmutableMatrix([total(a[k, j] * x[j] for j in range(n)) + total(a[i, k] * x[i] for i in range(n))
                                     for k in range(n)]), "differentiate", cites=(31,)),
            completion((big_x.T * big_a * big_x).diff(big_x), "SymPy's MatrixSymbol calculus, checked as a claim"),
        ],
    )
    return form_derivation, gradient


QUADRATIC_FORMS = tuple(d for n in SIZES for d in quadratic_form(n))


def symbolic_k() -> object:
    """The cross-entropy gradient for any number of classes K: indexed sums and a Kronecker delta."""
    size = Var(sp.Symbol("K", integer=True, positive=True), Choice((2, 3, 4)))
    kk = size.symbol
    i, j, r = sp.symbols("i j r", integer=True, positive=True)
    z, y = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True)
    total = sp.Sum(exp(z[j]), (j, 1, kk))

    def yhat(index: sp.Symbol) -> sp.Expr:
        return exp(z[index]) / total

    loss = -sp.Sum(y[i] * log(yhat(i)), (i, 1, kk))
    return derivation(
        id="004-cce-gradient-symbolic-K",
        title="Softmax with categorical cross-entropy for every number of classes K",
        note=NOTE,
        where="lines 92-141, for every K",
        variables=[size],
        function=D(loss, z[r]),
        families=(Family(z, Interval(-3, 3)), Family(y, Choice((0, 1)))),
        index_ranges=(IndexRange(r, kk),),
        constraints=(Constraint(sp.Sum(y[i], (i, 1, kk)), sp.S.One, "the labels are one-hot: sum_i y_i = 1"),),
        remarks="backproof's own steps, not the note's: the note's cross-entropy gradient (lines 92-141, checked "
                "at K = 3 in 004-cce-gradient-K3) proved for a symbolic K with 1 <= r <= K (K = r + m, m >= 0); screened at K = 2, 3, 4 and "
                "every r. The two cases r = i and r != i are one Kronecker delta.",
        steps=[
            completion(sp.Sum(-y[i] / yhat(i) * D(yhat(i), z[r]), (i, 1, kk)),
                       "chain rule, dL/dyhat_i = -y_i/yhat_i (the note's line 124, for every K)"),
            completion(sp.Sum(-y[i] / yhat(i) * yhat(i) * (sp.KroneckerDelta(i, r) - yhat(r)), (i, 1, kk)),
                       "the cases r = i and r != i as one Kronecker delta"),
            completion(-y[r] + yhat(r) * sp.Sum(y[i], (i, 1, kk)), "sum out the delta"),
            completion(yhat(r) - y[r], "the labels sum to 1 (the note's line 141)"),
        ],
    )


SYMBOLIC_K = symbolic_k()
DERIVATIONS = (*QUADRATIC_FORMS, SYMBOLIC_K)
