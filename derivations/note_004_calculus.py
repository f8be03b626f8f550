"""Note 004: the cross-entropy gradient for a symbolic number of classes K, written with indexed families."""

import sympy as sp

from derivations.notation import D, completion, derivation, exp, log
from verifier.model import Choice, Constraint, Family, IndexRange, Interval, Var

NOTE = "004_92ccb6d64e70ff8c.txt"





def symbolic_k() -> object:
    """The cross-entropy gradient for any number of classes K: indexed sums and a Kronecker delta."""
    size = Var(sp.Symbol("K", integer=True, positive=True), Choice((2, 3, 4), sampled_only=True))  # any K, screened at these
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
DERIVATIONS = (SYMBOLIC_K,)
