"""Note 001: binary cross-entropy with sigmoid, tanh, step, ReLU, linear and leaky ReLU."""

import sympy as sp

from derivations.notation import (
    D,
    choice,
    completion,
    derivation,
    error,
    exp,
    frac,
    kink,
    log,
    real,
    sigmoid,
    slip,
    step,
)
from verifier.model import Interval, Var

NOTE = "001_96027ccba0965951.txt"

a = Var(sp.Symbol("a", positive=True), Interval(0, 1))
y = choice("y", 0, 1)
A, Y = a.symbol, y.symbol
LN2 = log(2)
LOSS = -(Y * log(A, 2) + (1 - Y) * log(1 - A, 2))  # the note's loss, with its base-2 logarithm
NO_LN2 = "carries the missing factor 1/ln 2 of the base-2 logarithm"

BCE = derivation(
    id="001-bce",
    title="Binary cross-entropy (base-2 log, as written) differentiated in a",
    note=NOTE,
    where="line 11",
    variables=[a, y],
    function=LOSS,
    variable=a,
    steps=[
        slip(r"\frac{\partial L}{\partial a} &= - \left[y \log_2 a + (1-y) \log_2 (1-a) \right]", LOSS,
             "the loss to differentiate",
             "the line equates dL/da with L itself; the author means 'differentiate this'"),
        completion(D(LOSS, A), "the intended line: d/da of the loss"),
        error(r"&= - \left[y \frac{1}{a} + (1-y) \frac{1}{1-a} (-1) \right]",
              -(Y * (1 / A) + (1 - Y) * (1 / (1 - A)) * (-1)), "d/da log a = 1/a, chain rule on 1 - a",
              "d/da log_2 a = 1/(a ln 2): the factor 1/ln 2 of the base-2 logarithm is dropped"),
        completion(-(Y / (A * LN2) + (1 - Y) / ((1 - A) * LN2) * (-1)), "the same with the factor 1/ln 2"),
        error(r"&= - \left[\frac{y}{a} - \frac{1-y}{1-a} \right]", -(Y / A - (1 - Y) / (1 - A)),
              "tidy the signs", NO_LN2),
        completion(-(Y / A - (1 - Y) / (1 - A)) / LN2, "the same with the factor 1/ln 2"),
        error(r"= -\frac{y}{a} + \frac{1-y}{1-a}", -Y / A + (1 - Y) / (1 - A), "open the bracket", NO_LN2),
        completion((-Y / A + (1 - Y) / (1 - A)) / LN2, "the same with the factor 1/ln 2"),
    ],
)

INNER = derivation(
    id="001-bce-inner",
    title="The inner derivative d/da (1 - a) = -1",
    note=NOTE,
    where="line 11 (the bracketed 'because')",
    variables=[a],
    function=1 - A,
    variable=a,
    steps=[
        step(r"\frac{\partial}{\partial a} (1-a)", D(1 - A, A), "the derivative to find"),
        step(r"= -1", -1, "derivative of a linear function"),
    ],
)

z = real("z")
Z = z.symbol
E = 1 + exp(-Z)

SIGMOID = derivation(
    id="001-sigmoid",
    title="Derivative of the sigmoid, da/dz = a(1 - a)",
    note=NOTE,
    where="line 13",
    variables=[z, Var(A, Interval(0, 1))],
    function=sigmoid(Z),
    variable=z,
    definitions=((A, sigmoid(Z)),),
    steps=[
        step(r"\frac{\partial a}{\partial z} &= \frac{\partial}{\partial z} \left[\frac{1}{1+e^{-z}} \right]",
             D(1 / E, Z), "a is the sigmoid of z"),
        step(r"&= \frac{\partial (1+e^{-z})^{-1}}{\partial z}", D(E**-1, Z), "as a power"),
        step(r"&= (-1) (1+e^{-z})^{-2} \frac{\partial}{\partial z} (1+e^{-z})", (-1) * E**-2 * D(E, Z),
             "power rule and chain rule"),
        step(r"&= \frac{-1}{(1+e^{-z})^2} (e^{-z} (-1))", -1 / E**2 * (exp(-Z) * (-1)),
             "derivative of the inner function"),
        step(r"&= \frac{1}{(1+e^{-z})^2} e^{-z}", 1 / E**2 * exp(-Z), "signs cancel"),
        step(r"&= \frac{1}{(1+e^{-z})} \times \frac{1+e^{-z}-1}{1+e^{-z}}", frac(1, E) * frac(E - 1, E),
             "add and subtract 1, split"),
        step(r"&= \frac{1}{1+e^{-z}} \times \left(\frac{1+e^{-z}}{1+e^{-z}} - \frac{1}{1+e^{-z}} \right)",
             frac(1, E) * (frac(E, E) - frac(1, E)), "split the second fraction"),
        step(r"&= \frac{1}{1+e^{-z}} \left(1 - \frac{1}{1+e^{-z}} \right)", frac(1, E) * (1 - frac(1, E)),
             "cancel"),
        step(r"&= a(1-a)", A * (1 - A), "a = 1/(1+e^{-z})"),
    ],
)

# (-2, 2) keeps |z| <= 10, where 1 - sigmoid(z) is still accurate in float64
w1, w2, x1, x2, b = (real(name, -2, 2) for name in ("omega_1", "omega_2", "x_1", "x_2", "b"))
W1, W2, X1, X2, B = w1.symbol, w2.symbol, x1.symbol, x2.symbol, b.symbol
PRE = W1 * X1 + W2 * X2 + B

DZ_DW1 = derivation(
    id="001-dz-dw1",
    title="dz/d omega_1 for z = omega_1 x_1 + omega_2 x_2 + b",
    note=NOTE,
    where="lines 15-17",
    variables=[w1, w2, x1, x2, b],
    function=PRE,
    variable=w1,
    steps=[
        slip(r"\frac{\partial z}{\partial \omega_1} = \omega_1 x_1 + \omega_2 x_2 + b", PRE, "write out z",
             "the line equates dz/d omega_1 with z itself; the author means 'differentiate this'"),
        completion(D(PRE, W1), "the intended line: d/d omega_1 of z"),
        step(r"= x_1", X1, "only omega_1 x_1 depends on omega_1"),
    ],
)

zs = Var(Z, Interval(-6, 6))
DL_DW1 = derivation(
    id="001-dL-dw1",
    title="dL/d omega_1 through a = sigmoid(z), with the note's base-2 loss",
    note=NOTE,
    where="lines 19-23",
    variables=[w1, w2, x1, x2, b, y, Var(A, Interval(0, 1)), zs],
    function=LOSS,
    variable=w1,
    definitions=((A, sigmoid(Z)), (Z, PRE)),
    remarks="The line names the gradient dz; in the usual notation dz is dL/dz and dL/d omega_1 = x_1 dz.",
    steps=[
        step(r"\frac{\partial L}{\partial \omega_1} = \frac{\partial L}{\partial a} \frac{\partial a}{\partial z} "
             r"\frac{\partial z}{\partial \omega_1}", D(LOSS, A) * D(A, Z) * D(Z, W1), "chain rule"),
        error(r"= \left(-\frac{y}{a} + \frac{1-y}{1-a} \right) (a(1-a)) x_1",
              (-Y / A + (1 - Y) / (1 - A)) * (A * (1 - A)) * X1, "the three factors found above", NO_LN2),
        completion((-Y / A + (1 - Y) / (1 - A)) / LN2 * (A * (1 - A)) * X1, "the same with the factor 1/ln 2"),
        error(r"= (a-y) x_1", (A - Y) * X1, "multiply out", NO_LN2),
        completion((A - Y) * X1 / LN2, "the same with the factor 1/ln 2"),
    ],
)

TANH_FRACTION = (exp(Z) - exp(-Z)) / (exp(Z) + exp(-Z))
PLUS, MINUS = exp(Z) + exp(-Z), exp(Z) - exp(-Z)
TANH = derivation(
    id="001-tanh",
    title="Derivative of tanh, da/dz = 1 - a^2",
    note=NOTE,
    where="lines 27-35",
    variables=[z, Var(A, Interval(-1, 1))],
    function=TANH_FRACTION,
    variable=z,
    definitions=((A, TANH_FRACTION),),
    steps=[
        step(r"\frac{\partial a}{\partial z} = \frac{\partial}{\partial z} \left[\frac{e^z - e^{-z}}{e^z + e^{-z}} \right]",
             D(TANH_FRACTION, Z), "a is tanh z"),
        step(r"= \frac{(e^z + e^{-z})(e^z + e^{-z}) - (e^z - e^{-z})(e^z - e^{-z})}{(e^z + e^{-z})^2}",
             (PLUS * PLUS - MINUS * MINUS) / PLUS**2, "quotient rule"),
        step(r"= \frac{(e^z + e^{-z})^2 - (e^z - e^{-z})^2}{(e^z + e^{-z})^2}", (PLUS**2 - MINUS**2) / PLUS**2,
             "squares"),
        step(r"= \left(\frac{e^z + e^{-z}}{e^z + e^{-z}} \right)^2 - \left(\frac{e^z - e^{-z}}{e^z + e^{-z}} \right)^2",
             frac(PLUS, PLUS) ** 2 - frac(MINUS, PLUS) ** 2, "split the fraction"),
        step(r"= 1 - a^2", 1 - A**2, "a = tanh z"),
    ],
)

STEP_FUNCTION = derivation(
    id="001-step",
    title="Derivative of the step function",
    note=NOTE,
    where="line 39",
    variables=[z],
    function=sp.Heaviside(Z),
    variable=z,
    kink=kink(z, 0, "the note's 0 everywhere; the step jumps at 0, where no derivative exists"),
    steps=[step(r"\frac{\partial a}{\partial z} = 0", 0, "the step is constant on each side of 0")],
)

x = real("x")
X = x.symbol
RELU_CASES = sp.Piecewise((X, X >= 0), (0, True))
RELU = derivation(
    id="001-relu",
    title="Derivative of ReLU",
    note=NOTE,
    where="lines 43-49",
    variables=[x],
    function=sp.Max(0, X),
    variable=x,
    kink=kink(x, 1, "the note's case x >= 0 includes 0"),
    steps=[
        step(r"x \geq 0 \quad y = x \qquad x < 0 \quad y = 0", D(RELU_CASES, X), "ReLU by cases"),
        step(r"\Rightarrow \frac{dy}{dx} = 1 \qquad \Rightarrow \frac{dy}{dx} = 0",
             sp.Piecewise((1, X >= 0), (0, True)), "derivative of each case"),
    ],
)

LINEAR = derivation(
    id="001-linear",
    title="Derivative of the linear activation",
    note=NOTE,
    where="lines 53-55",
    variables=[x],
    function=X,
    variable=x,
    steps=[step(r"y = x \Rightarrow \frac{dy}{dx} = 1", 1, "derivative of x")],
)

SLOPE = sp.Rational(1, 1000)
LEAKY_CASES = sp.Piecewise((X, X >= 0), (SLOPE * X, True))
LEAKY_RELU = derivation(
    id="001-leaky-relu",
    title="Derivative of leaky ReLU (slope 0.001)",
    note=NOTE,
    where="lines 59-69",
    variables=[x],
    function=sp.Max(SLOPE * X, X),
    variable=x,
    kink=kink(x, 1, "the note's case x >= 0 includes 0"),
    steps=[
        step(r"x \geq 0 \quad y = x \qquad x < 0 \quad y = 0.001x", D(LEAKY_CASES, X), "leaky ReLU by cases"),
        step(r"\Rightarrow \frac{dy}{dx} = 1 \qquad \Rightarrow \frac{dy}{dx} = 0.001",
             sp.Piecewise((1, X >= 0), (SLOPE, True)), "derivative of each case"),
    ],
)

DERIVATIONS = (BCE, INNER, SIGMOID, DZ_DW1, DL_DW1, TANH, STEP_FUNCTION, RELU, LINEAR, LEAKY_RELU)
