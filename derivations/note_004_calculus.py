"""Note 004 (matrix part): the gradient of x^T A x, and softmax with categorical cross-entropy."""

import sympy as sp

from derivations.notation import D, completion, derivation, error, exp, log, matrix, slip, step, total
from verifier.model import Choice, Constraint, Factor, Family, IndexRange, Interval, Var

NOTE = "004_92ccb6d64e70ff8c.txt"
SIZES = (2, 3, 4, 5, 6)


def quadratic_form(n: int) -> tuple:
    """The two x^T A x derivations at size n: the form as an index sum, and its gradient."""
    x, x_vars = matrix("x", n, 1)
    a, a_vars = matrix("a", n, n)
    variables = [*x_vars, *a_vars]
    form = (x.T * a * x)[0, 0]
    index_sum = total(a[i, j] * x[i] * x[j] for i in range(n) for j in range(n))
    as_written = (Factor("x^T", "n", 1), Factor("A", "n", "n"), Factor("x", 1, "n"))
    as_meant = (Factor("x^T", 1, "n"), Factor("A", "n", "n"), Factor("x", "n", 1))
    form_derivation = derivation(
        id=f"004-xtax-n{n}",
        title=f"x^T A x as an index sum (n = {n})",
        note=NOTE,
        variables=variables,
        function=form,
        steps=[
            slip(r"f(x) = x^T A x, A \in \mathbb{R}^{n \times n}, x \in \mathbb{R}^{1 \times n}", form,
                 "the quadratic form", "with x in R^{1 x n}, x^T is n x 1 and x^T A cannot be formed: "
                 "x must be a column, in R^{n x 1}", products=(as_written,), cites=(25,)),
            completion(form, "x in R^{n x 1}: 1 x n times n x n times n x 1", products=(as_meant,)),
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
            step(r"\nabla_{x_0} f = A x + A^T x", a * x + a.T * x, "the two sums as matrix products",
                 products=((Factor("A", "n", "n"), Factor("x", "n", 1)), (Factor("A^T", "n", "n"), Factor("x", "n", 1))),
                 cites=(33,)),
            step(r"= (A + A^T) x", (a + a.T) * x, "factor out x",
                 products=((Factor("A + A^T", "n", "n"), Factor("x", "n", 1)),), cites=(33,)),
            completion((big_x.T * big_a * big_x).diff(big_x), "SymPy's MatrixSymbol calculus, checked as a claim"),
        ],
    )
    return form_derivation, gradient


QUADRATIC_FORMS = tuple(d for n in SIZES for d in quadratic_form(n))


def softmax_derivations(k: int) -> tuple:
    """Softmax with categorical cross-entropy at K = k classes, the note's index derivation."""
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
        id=f"004-softmax-jacobian-K{k}",
        title=f"Setting up the softmax Jacobian d yhat_i / d z_r (K = {k})",
        note=NOTE,
        where="line 97",
        variables=z_vars,
        function=sp.ImmutableMatrix(k, k, lambda i, r: D(softmax[i], zs[r])),
        steps=[
            slip(r"\frac{\partial \hat{y}_i}{\partial z_r} = \frac{\partial}{\partial z_r} "
                 r"\left(\frac{\exp(z_r)}{\sum_{j=1}^K \exp(z_j)} \right)",
                 sp.ImmutableMatrix(k, k, lambda i, r: D(exp(zs[r]) / denominator, zs[r])), "definition of softmax",
                 "the numerator is exp(z_r) whatever i is; it must be exp(z_i) (the line is right only for i = r)"),
            completion(sp.ImmutableMatrix(k, k, lambda i, r: D(exp(zs[i]) / denominator, zs[r])), "numerator exp(z_i)"),
        ],
    )
    diagonal = derivation(
        id=f"004-softmax-diagonal-K{k}",
        title=f"Softmax Jacobian, case r = i (K = {k})",
        note=NOTE,
        where="lines 101-109",
        variables=[*z_vars, *hat_vars],
        function=column(lambda r: D(softmax[r], zs[r])),
        definitions=defined,
        remarks="Entry r of each step is the note's line for that r.",
        steps=[
            step(r"\frac{\partial \hat{y}_i}{\partial z_r} = \frac{\exp(z_r) \sum_{j=1}^K \exp(z_j) - \exp(z_r) "
                 r"\exp(z_r)}{\left(\sum_{j=1}^K \exp(z_j) \right)^2}",
                 column(lambda r: (exp(zs[r]) * denominator - exp(zs[r]) * exp(zs[r])) / denominator**2), "quotient rule"),
            step(r"= \frac{\exp(z_r) \sum_{j=1}^K \exp(z_j)}{\left(\sum_{j=1}^K \exp(z_j) \right)^2} - "
                 r"\frac{\exp(z_r) \exp(z_r)}{\left(\sum_{j=1}^K \exp(z_j) \right)^2}",
                 column(lambda r: exp(zs[r]) * denominator / denominator**2 - exp(zs[r]) * exp(zs[r]) / denominator**2), "split"),
            step(r"= \frac{\exp(z_r)}{\sum_{j=1}^K \exp(z_j)} - \left(\frac{\exp(z_r)}{\sum_{j=1}^K \exp(z_j)} \right)^2 =",
                 column(lambda r: exp(zs[r]) / denominator - (exp(zs[r]) / denominator) ** 2), "cancel"),
            step(r"= \frac{\exp(z_r)}{\sum_{j=1}^k \exp(z_j)} \left(1 - \frac{\exp(z_r)}{\sum_{j=1}^k \exp(z_j)} \right)",
                 column(lambda r: exp(zs[r]) / denominator * (1 - exp(zs[r]) / denominator)), "factor"),
            step(r"= \hat{y}_r (1 - \hat{y}_r)", column(lambda r: hats[r] * (1 - hats[r])), "yhat_r = softmax_r"),
        ],
    )
    pairs = [(i, r) for r in range(k) for i in range(k) if i != r]
    off = sp.ImmutableMatrix([D(softmax[i], zs[r]) for i, r in pairs])
    off_diagonal = derivation(
        id=f"004-softmax-off-diagonal-K{k}",
        title=f"Softmax Jacobian, case i != r (K = {k})",
        note=NOTE,
        where="lines 111-119",
        variables=[*z_vars, *hat_vars],
        function=off,
        definitions=defined,
        remarks="One entry per pair (i, r) with i != r.",
        steps=[
            step(r"= \frac{0 \cdot \sum_{j=1}^k \exp(z_j) - \exp(z_r) \cdot \exp(z_i)}{\left(\sum_{j=1}^k \exp(z_j) \right)^2}",
                 sp.ImmutableMatrix([(0 * denominator - exp(zs[r]) * exp(zs[i])) / denominator**2 for i, r in pairs]),
                 "quotient rule; exp(z_i) does not depend on z_r"),
            step(r"= \frac{-\exp(z_r) \cdot \exp(z_i)}{\left(\sum_{j=1}^k \exp(z_j) \right)^2} =",
                 sp.ImmutableMatrix([-exp(zs[r]) * exp(zs[i]) / denominator**2 for i, r in pairs]), "drop the zero"),
            step(r"= -\hat{y}_r \cdot \hat{y}_i", sp.ImmutableMatrix([-hats[r] * hats[i] for i, r in pairs]),
                 "yhat = softmax"),
        ],
    )
    dl_dyhat = derivation(
        id=f"004-cce-dL-dyhat-K{k}",
        title=f"Cross-entropy differentiated in yhat_i (K = {k})",
        note=NOTE,
        where="lines 89-93",
        variables=[*labels, *hat_vars],
        function=loss,
        variable=sp.ImmutableMatrix(hats),
        steps=[
            slip(r"\frac{\partial L}{\partial y_i} = \frac{\partial}{\partial \hat{y}_i} "
                 r"\left(- \sum_{j=1}^K y_j \log y_j \right)",
                 sp.ImmutableMatrix([D(-total(y * log(y) for y in ys), h) for h in hats]), "the loss, term by term",
                 "y is written for yhat (in dL/dy_i and in log y_j): read as written the sum holds no yhat, "
                 "and its derivative is 0"),
            completion(sp.ImmutableMatrix([D(loss, h) for h in hats]), "the intended line"),
            step(r"= - \frac{y_i}{\hat{y}_i}", sp.ImmutableMatrix([-y / h for y, h in zip(ys, hats, strict=True)]),
                 "if i != j the term is constant"),
        ],
    )
    full_loss = -total(y * log(h) for y, h in zip(ys, softmax, strict=True))
    gradient = derivation(
        id=f"004-cce-gradient-K{k}",
        title=f"Softmax with categorical cross-entropy: dL/dz_r = yhat_r - y_r (K = {k})",
        note=NOTE,
        where="lines 85 and 123-147",
        variables=[*z_vars, *labels, *hat_vars],
        function=full_loss,
        variable=z,
        definitions=defined,
        constraints=(one_hot,),
        remarks="Entry r of each step is the note's line for that r. The last step needs the labels to sum "
                "to 1. The struck-out line dL/dZ_3 = yhat_n - y_n is left out, as the author struck it.",
        steps=[
            step(r"\frac{\partial L}{\partial z_r} = \sum_{i=1}^k \frac{\partial L}{\partial \hat{y}_i} "
                 r"\frac{\partial \hat{y}_i}{\partial z_r}",
                 column(lambda r: total(D(loss, hats[i]) * D(softmax[i], zs[r]) for i in range(k))),
                 "L depends on every yhat_i, and every yhat_i on every z_r"),
            step(r"= \left(\sum_{i \neq r} -\frac{y_i}{\hat{y}_i} \cdot (-\hat{y}_r \cdot \hat{y}_i) \right) + "
                 r"\left(-\frac{y_r}{\hat{y}_r} \right) \cdot \hat{y}_r \cdot (1 - \hat{y}_r) =",
                 column(lambda r: total(-ys[i] / hats[i] * (-hats[r] * hats[i]) for i in others[r])
                        + (-ys[r] / hats[r]) * hats[r] * (1 - hats[r])), "the two cases"),
            step(r"= \left(\sum_{i \neq r} y_i \hat{y}_r \right) + (-y_r + y_r \hat{y}_r)",
                 column(lambda r: total(ys[i] * hats[r] for i in others[r]) + (-ys[r] + ys[r] * hats[r])), "cancel"),
            step(r"= \left(\hat{y}_r \sum_{i \neq r} y_i \right) - y_r + y_r \hat{y}_r =",
                 column(lambda r: hats[r] * total(ys[i] for i in others[r]) - ys[r] + ys[r] * hats[r]), "factor"),
            step(r"= -y_r + \hat{y}_r \sum_{i \neq r} y_i + \hat{y}_r y_r",
                 column(lambda r: -ys[r] + hats[r] * total(ys[i] for i in others[r]) + hats[r] * ys[r]), "reorder"),
            step(r"= -y_r + \hat{y}_r \left(\sum_{i \neq r} y_i + y_r \right)",
                 column(lambda r: -ys[r] + hats[r] * (total(ys[i] for i in others[r]) + ys[r])), "factor yhat_r"),
            step(r"= \hat{y}_r - y_r", column(lambda r: hats[r] - ys[r]), "the labels sum to 1"),
        ],
    )
    return jacobian_setup, diagonal, off_diagonal, dl_dyhat, gradient




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
