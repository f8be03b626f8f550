"""Note 004 (scalar part): ReLU, leaky ReLU with slope L, sigmoid, and tanh by the quotient rule."""

import sympy as sp

from derivations.notation import D, completion, derivation, exp, frac, kink, real, sigmoid, slip, step
from verifier.model import Interval, Var

NOTE = "004_92ccb6d64e70ff8c.txt"

x = real("x")
X = x.symbol

RELU = derivation(
    id="004-relu",
    title="Derivative of ReLU",
    note=NOTE,
    where="line 3",
    variables=[x],
    function=sp.Max(0, X),
    variable=x,
    kink=kink(x, None, "the note gives only x < 0 and x > 0"),
    steps=[
        step(r"\frac{\partial}{\partial x} \max(0, x)", D(sp.Max(0, X), X), "the derivative to find"),
        step(r"= \begin{cases} 0, & x < 0 \\ 1, & x > 0 \end{cases}", sp.Piecewise((0, X < 0), (1, X > 0)),
             "max(0, x) is 0 left of 0 and x right of it"),
    ],
)

slope = Var(sp.Symbol("L", positive=True), Interval(0, 1))
L = slope.symbol
LEAKY_RELU = derivation(
    id="004-leaky-relu",
    title="Derivative of leaky ReLU with slope L",
    note=NOTE,
    where="line 5",
    variables=[x, slope],
    function=sp.Max(L * X, X),
    variable=x,
    kink=kink(x, None, "the note gives only x < 0 and x > 0"),
    remarks="max(Lx, x) is a leaky ReLU only for 0 < L < 1, the domain L is checked on.",
    steps=[
        step(r"\frac{\partial}{\partial x} \max(Lx, x)", D(sp.Max(L * X, X), X), "the derivative to find"),
        step(r"= \begin{cases} L, & x < 0 \\ 1, & x > 0 \end{cases}", sp.Piecewise((L, X < 0), (1, X > 0)),
             "max(Lx, x) is Lx left of 0 and x right of it"),
    ],
)

E = 1 + exp(-X)
SIG = sigmoid(X)
SIGMOID = derivation(
    id="004-sigmoid",
    title="Derivative of the sigmoid",
    note=NOTE,
    where="lines 7-15",
    variables=[x],
    function=SIG,
    variable=x,
    steps=[
        step(r"\frac{\partial}{\partial x} \frac{1}{1+e^{-x}}", D(1 / E, X), "the derivative to find"),
        slip(r"= (1+e^{-x})^{-1} =", E**-1, "sigmoid rewritten as a power",
             "the d/dx is dropped: the line equates the derivative with the function itself"),
        completion(D(E**-1, X), "the intended line: d/dx (1+e^{-x})^{-1}"),
        step(r"= -(1+e^{-x})^{-2} \cdot e^{-x} \cdot (-1) =", -(E**-2) * exp(-X) * (-1), "power rule and chain rule"),
        step(r"= \frac{e^{-x}}{(1+e^{-x})^2}", exp(-X) / E**2, "signs cancel"),
        step(r"= \frac{1}{1+e^{-x}} \cdot \frac{e^{-x}}{1+e^{-x}} =", frac(1, E) * frac(exp(-X), E), "split"),
        step(r"= \sigma(x) \cdot \left(\frac{1+e^{-x}-1}{1+e^{-x}}", SIG * frac(E - 1, E),
             "add and subtract 1 (the bracket holds its own equation; each side is a step)"),
        step(r"= \frac{1+e^{-x}}{1+e^{-x}} - \sigma(x) \right)", SIG * (frac(E, E) - SIG), "split the fraction"),
        step(r"= \sigma(x) [1 - \sigma(x)]", SIG * (1 - SIG), "cancel"),
    ],
)

PLUS, MINUS = exp(X) + exp(-X), exp(X) - exp(-X)
TANH = derivation(
    id="004-tanh",
    title="Derivative of tanh by the quotient rule",
    note=NOTE,
    where="lines 17-23",
    variables=[x],
    function=MINUS / PLUS,
    variable=x,
    steps=[
        step(r"4) \frac{d}{dx} \frac{e^x - e^{-x}}{e^x + e^{-x}} =", D(MINUS / PLUS, X), "the derivative to find"),
        step(r"\frac{(e^x - e^{-x})'(e^x + e^{-x}) - (e^x - e^{-x})(e^x + e^{-x})'}{(e^x + e^{-x})^2} =",
             (D(MINUS, X) * PLUS - MINUS * D(PLUS, X)) / PLUS**2, "quotient rule"),
        step(r"= \frac{(e^x + e^{-x})^2 - (e^x - e^{-x})^2}{(e^x + e^{-x})^2}", (PLUS**2 - MINUS**2) / PLUS**2,
             "(e^x - e^{-x})' = e^x + e^{-x} and back"),
        step(r"= 1 - \left(\frac{e^x - e^{-x}}{e^x + e^{-x}} \right)^2", 1 - (MINUS / PLUS) ** 2, "split"),
        step(r"= 1 - \tanh^2(x)", 1 - sp.tanh(X) ** 2, "tanh x = (e^x - e^{-x})/(e^x + e^{-x})"),
    ],
)

DERIVATIONS = (RELU, LEAKY_RELU, SIGMOID, TANH)
