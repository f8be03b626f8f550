"""Note 003: the sigmoid by the quotient rule, and a single-path network's error signals.

The note's formulas were lost; only its prose survives. Every line here is reconstructed from
that prose, at the depth it describes (equation numbers as the prose cites them), and marked so.
"""

import sympy as sp

from derivations.notation import D, derivation, exp, real, sigmoid, step
from verifier.model import Interval, Var

NOTE = "003_9602c133118b427c.txt"
RECONSTRUCTED = "Reconstructed from the note's prose; its own formulas were lost."

x = real("x")
X = x.symbol
f, g = sp.Function("f"), sp.Function("g")
u = sp.Symbol("u", real=True)

QUOTIENT_RULE = derivation(
    id="003-quotient-rule",
    title="Quotient rule, for generic f and g (eq. 2)",
    note=NOTE,
    where="'Derivative of Sigmoid', eq. (2)",
    variables=[x],
    function=f(X) / g(X),
    variable=x,
    remarks=RECONSTRUCTED,
    steps=[step(r"\left(\frac{f}{g}\right)' = \frac{f' g - f g'}{g^2}",
                (D(f(X), X) * g(X) - f(X) * D(g(X), X)) / g(X) ** 2, "quotient rule")],
)

RECIPROCAL_RULE = derivation(
    id="003-reciprocal-rule",
    title="Quotient rule with constant numerator 1 (eq. 3)",
    note=NOTE,
    where="'Derivative of Sigmoid', eq. (3)",
    variables=[x],
    function=1 / g(X),
    variable=x,
    remarks=RECONSTRUCTED,
    steps=[step(r"\left(\frac{1}{g}\right)' = -\frac{g'}{g^2}", -D(g(X), X) / g(X) ** 2, "f = 1, so f' = 0")],
)

CHAIN_RULE = derivation(
    id="003-chain-rule",
    title="Chain rule, for generic f and g (eq. 4)",
    note=NOTE,
    where="'Derivative of Sigmoid', eq. (4)",
    variables=[x],
    function=f(g(X)),
    variable=x,
    remarks=RECONSTRUCTED,
    steps=[step(r"h'(x) = f'(g(x)) g'(x)", sp.Subs(D(f(u), u), u, g(X)) * D(g(X), X), "chain rule")],
)

E = 1 + exp(-X)
SIGMOID = derivation(
    id="003-sigmoid",
    title="Derivative of the sigmoid by the quotient rule (eq. 5)",
    note=NOTE,
    where="'Derivative of Sigmoid', eqs. (1) and (5)",
    variables=[x],
    function=sigmoid(X),
    variable=x,
    remarks=RECONSTRUCTED,
    steps=[
        step(r"\sigma'(x) = \frac{d}{dx} \frac{1}{1+e^{-x}}", D(1 / E, X), "eq. (1)"),
        step(r"= -\frac{\frac{d}{dx}(1+e^{-x})}{(1+e^{-x})^2}", -D(E, X) / E**2, "eq. (3)"),
        step(r"= -\frac{e^{-x} \cdot (-1)}{(1+e^{-x})^2}", -(exp(-X) * (-1)) / E**2, "eq. (4) on e^{-x}"),
        step(r"= \frac{e^{-x}}{(1+e^{-x})^2}", exp(-X) / E**2, "signs cancel"),
        step(r"= \frac{1}{1+e^{-x}} \cdot \frac{e^{-x}}{1+e^{-x}}", 1 / E * (exp(-X) / E), "split"),
        step(r"= \sigma(x)(1 - \sigma(x))", sigmoid(X) * (1 - sigmoid(X)), "e^{-x}/(1+e^{-x}) = 1 - sigma(x)"),
    ],
)

# The single path: a1 = x -> z2 = t1 a1 -> a2 = sigma(z2) -> z3 = t2 a2 -> a3 = sigma(z3)
# -> z4 = t3 a3 -> a4 = g(z4) = z4 (linear output), and J = (a4 - y)^2 / 2.
theta = [real(f"theta_{i}", -2, 2) for i in (1, 2, 3)]
T1, T2, T3 = (t.symbol for t in theta)
a1, y = real("a_1", -2, 2), real("y", -1, 1)
A1, Y = a1.symbol, y.symbol


def unit(name: str) -> Var:
    """A symbol that a definition fixes (sampled only if left free)."""
    return Var(sp.Symbol(name, real=True), Interval(-6, 6))


z2, a2, z3, a3, z4, a4 = (unit(n) for n in ("z_2", "a_2", "z_3", "a_3", "z_4", "a_4"))
d2, d3, d4 = (unit(n) for n in ("delta_2", "delta_3", "delta_4"))
Z2, A2, Z3, A3, Z4, A4 = (v.symbol for v in (z2, a2, z3, a3, z4, a4))
DELTA2, DELTA3, DELTA4 = (v.symbol for v in (d2, d3, d4))
COST = sp.Rational(1, 2) * (A4 - Y) ** 2
FORWARD = ((A4, Z4), (Z4, T3 * A3), (A3, sigmoid(Z3)), (Z3, T2 * A2), (A2, sigmoid(Z2)), (Z2, T1 * A1))
# eq. (13): delta(l) = dJ/dz(l), each evaluated along the forward pass
SIGNALS = ((DELTA2, D(COST, Z2)), (DELTA3, D(COST, Z3)), (DELTA4, D(COST, Z4)))
PATH = [*theta, a1, y, z2, a2, z3, a3, z4, a4, d2, d3, d4]
G_PRIME = 1  # g(x) = x, so g'(x) = 1


def forward_from(symbol: sp.Symbol) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    """The forward pass from `symbol` on, leaving `symbol` itself free."""
    names = [s for s, _ in FORWARD]
    return FORWARD[: names.index(symbol)]


DJ_DTHETA3 = derivation(
    id="003-dJ-dtheta3",
    title="dJ/d theta(3) on the single path (eq. 9)",
    note=NOTE,
    where="'Mathematics of Backpropagation', eqs. (9) and (17)",
    variables=PATH,
    function=COST,
    variable=theta[2],
    definitions=(*SIGNALS, *FORWARD),
    remarks=RECONSTRUCTED,
    steps=[
        step(r"\frac{\partial J}{\partial \theta^{(3)}} = \frac{\partial J}{\partial a^{(4)}} "
             r"\frac{\partial a^{(4)}}{\partial z^{(4)}} \frac{\partial z^{(4)}}{\partial \theta^{(3)}}",
             D(COST, A4) * D(A4, Z4) * D(Z4, T3), "chain rule"),
        step(r"= (a^{(4)} - y)\, g'(z^{(4)})\, a^{(3)}", (A4 - Y) * G_PRIME * A3, "eq. (9)"),
        step(r"= \delta^{(4)} a^{(3)}", DELTA4 * A3, "eq. (17) with eq. (14)"),
    ],
)

SIG3 = A3 * (1 - A3)  # sigma'(z3)
SIG2 = A2 * (1 - A2)  # sigma'(z2)
DJ_DTHETA2 = derivation(
    id="003-dJ-dtheta2",
    title="dJ/d theta(2) on the single path (eq. 10)",
    note=NOTE,
    where="'Mathematics of Backpropagation', eqs. (10) and (17)",
    variables=PATH,
    function=COST,
    variable=theta[1],
    definitions=(*SIGNALS, *FORWARD),
    remarks=RECONSTRUCTED,
    steps=[
        step(r"\frac{\partial J}{\partial \theta^{(2)}} = \frac{\partial J}{\partial a^{(4)}} "
             r"\frac{\partial a^{(4)}}{\partial z^{(4)}} \frac{\partial z^{(4)}}{\partial a^{(3)}} "
             r"\frac{\partial a^{(3)}}{\partial z^{(3)}} \frac{\partial z^{(3)}}{\partial \theta^{(2)}}",
             D(COST, A4) * D(A4, Z4) * D(Z4, A3) * D(A3, Z3) * D(Z3, T2), "chain rule"),
        step(r"= (a^{(4)} - y)\, g'(z^{(4)})\, \theta^{(3)} \sigma'(z^{(3)})\, a^{(2)}",
             (A4 - Y) * G_PRIME * T3 * SIG3 * A2, "eq. (10)"),
        step(r"= \delta^{(3)} a^{(2)}", DELTA3 * A2, "eq. (17) with eq. (15)"),
    ],
)

DJ_DTHETA1 = derivation(
    id="003-dJ-dtheta1",
    title="dJ/d theta(1) on the single path (eq. 11)",
    note=NOTE,
    where="'Mathematics of Backpropagation', eqs. (11) and (17)",
    variables=PATH,
    function=COST,
    variable=theta[0],
    definitions=(*SIGNALS, *FORWARD),
    remarks=RECONSTRUCTED,
    steps=[
        step(r"\frac{\partial J}{\partial \theta^{(1)}} = \frac{\partial J}{\partial a^{(4)}} "
             r"\frac{\partial a^{(4)}}{\partial z^{(4)}} \frac{\partial z^{(4)}}{\partial a^{(3)}} "
             r"\frac{\partial a^{(3)}}{\partial z^{(3)}} \frac{\partial z^{(3)}}{\partial a^{(2)}} "
             r"\frac{\partial a^{(2)}}{\partial z^{(2)}} \frac{\partial z^{(2)}}{\partial \theta^{(1)}}",
             D(COST, A4) * D(A4, Z4) * D(Z4, A3) * D(A3, Z3) * D(Z3, A2) * D(A2, Z2) * D(Z2, T1), "chain rule"),
        step(r"= (a^{(4)} - y)\, g'(z^{(4)})\, \theta^{(3)} \sigma'(z^{(3)})\, \theta^{(2)} \sigma'(z^{(2)})\, a^{(1)}",
             (A4 - Y) * G_PRIME * T3 * SIG3 * T2 * SIG2 * A1, "eq. (11)"),
        step(r"= \delta^{(2)} a^{(1)}", DELTA2 * A1, "eq. (17) with eq. (16)"),
    ],
)


def error_signal(layer: int, variable: Var, steps: list) -> object:
    """delta(layer) = dJ/dz(layer), with the forward pass above z(layer) as definitions."""
    return derivation(
        id=f"003-delta{layer}",
        title=f"The error signal delta({layer}) (eq. {18 - layer})",
        note=NOTE,
        where=f"'Error Signal', eqs. (13) and ({18 - layer})",
        variables=PATH,
        function=COST,
        variable=variable,
        definitions=(*[s for s in SIGNALS if s[0] != {4: DELTA4, 3: DELTA3, 2: DELTA2}[layer]],
                     *forward_from(variable.symbol)),
        remarks=RECONSTRUCTED,
        steps=steps,
    )


DELTA_4 = error_signal(4, z4, [
    step(r"\delta^{(4)} = \frac{\partial J}{\partial z^{(4)}}", D(COST, Z4), "eq. (13), the definition"),
    step(r"= (a^{(4)} - y)\, g'(z^{(4)})", (A4 - Y) * G_PRIME, "chain rule"),
    step(r"= a^{(4)} - y", A4 - Y, "g'(x) = 1"),
])
DELTA_3 = error_signal(3, z3, [
    step(r"\delta^{(3)} = \frac{\partial J}{\partial z^{(4)}} \frac{\partial z^{(4)}}{\partial a^{(3)}} "
         r"\frac{\partial a^{(3)}}{\partial z^{(3)}}", D(COST, Z4) * D(Z4, A3) * D(A3, Z3), "eq. (13), chain rule"),
    step(r"= \delta^{(4)} \theta^{(3)} \sigma'(z^{(3)})", DELTA4 * T3 * SIG3, "eq. (15)"),
])
DELTA_2 = error_signal(2, z2, [
    step(r"\delta^{(2)} = \frac{\partial J}{\partial z^{(3)}} \frac{\partial z^{(3)}}{\partial a^{(2)}} "
         r"\frac{\partial a^{(2)}}{\partial z^{(2)}}", D(COST, Z3) * D(Z3, A2) * D(A2, Z2), "eq. (13), chain rule"),
    step(r"= \delta^{(3)} \theta^{(2)} \sigma'(z^{(2)})", DELTA3 * T2 * SIG2, "eq. (16)"),
])

DERIVATIONS = (
    QUOTIENT_RULE, RECIPROCAL_RULE, CHAIN_RULE, SIGMOID,
    DJ_DTHETA3, DJ_DTHETA2, DJ_DTHETA1, DELTA_4, DELTA_3, DELTA_2,
)
