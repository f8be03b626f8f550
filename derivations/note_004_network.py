"""Note 004 ("write backprop for my neural network"): the one line matrix notation cannot yet read.

Line 84 writes dL/dZ_3 as the tuple of its entries dL/dz_r, r in {1, ..., k}, the note's per-example
notation. Every other line of the network, and the completed backward pass, is in `004_92ccb6d64e70ff8c.md`
in matrix notation, proved for every size. Here dL/dZ3 is written entry by entry at a reduced size (a batch
of 2 and the note's 3 classes), for the mean cross-entropy with one-hot rows of Y.
"""

from __future__ import annotations

import sympy as sp

from derivations.notation import D, completion, derivation, log, mask, matrix, softmax_rows, step
from verifier.model import Constraint

NOTE = "004_92ccb6d64e70ff8c.txt"
N, K = 2, 3  # the reduced size: a batch of 2, the note's 3 classes

Z3, Z3_DOM = matrix("z3", N, K, -3, 3)
Y, Y_DOM = mask("y", N, K)
ONE_HOT = tuple(Constraint(Y[i, -1], 1 - sum(Y[i, c] for c in range(K - 1)), f"row {i + 1} of Y is one-hot")
                for i in range(N))
LOSS = -sum(Y[i, c] * log(softmax_rows(Z3)[i, c]) for i in range(N) for c in range(K)) / N  # mean cross-entropy

DZ3 = derivation(
    id="004-net-dZ3-entries", title="dL/dZ_3 of the network (mean cross-entropy), entry by entry", note=NOTE,
    variables=[*Z3_DOM, *Y_DOM], function=LOSS, variable=Z3,
    steps=[
        step(r"\frac{\partial L}{\partial Z_3} = \left(\frac{\partial L}{\partial z_r} \right)_{r \in \{1, \dots, k\}}",
             Z3.applyfunc(lambda e: D(LOSS, e)), "the gradient entry by entry", cites=(84,)),
        completion(sp.ImmutableMatrix((softmax_rows(Z3) - Y) / N),
                   "the note's yhat_r - y_r in every row, over n for the mean"),
    ],
    constraints=ONE_HOT,
)
DERIVATIONS = (DZ3,)
