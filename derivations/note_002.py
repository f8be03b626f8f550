"""Note 002: differentiation rules, squared error, sigmoid, delta_o and the weight and bias updates."""

import sympy as sp

from derivations.notation import (
    D,
    choice,
    completion,
    derivation,
    error,
    exp,
    frac,
    positive,
    real,
    sigmoid,
    step,
)
from verifier.model import Interval, Var

NOTE = "002_2ebaf99d53d1e338.txt"

x = real("x")
X = x.symbol
f, g = sp.Function("f"), sp.Function("g")
u = sp.Symbol("u", real=True)


def prime(function: sp.FunctionClass, at: sp.Expr) -> sp.Expr:
    """f'(at): the derivative of f evaluated at `at`."""
    return sp.Subs(D(function(u), u), u, at)


base = positive("x", 0.1, 4)
n = real("n", -3, 3)
POWER_RULE = derivation(
    id="002-power-rule",
    title="Power rule",
    note=NOTE,
    where="line 11",
    variables=[base, n],
    function=base.symbol**n.symbol,
    variable=base,
    remarks="Checked for x > 0 and real n, where x^n is defined for every n.",
    steps=[
        step(r"\frac{d}{dx}[x^n]", D(base.symbol**n.symbol, base.symbol), "the derivative to find"),
        step(r"= nx^{n-1}", n.symbol * base.symbol ** (n.symbol - 1), "power rule"),
    ],
)

CHAIN_RULE = derivation(
    id="002-chain-rule",
    title="Chain rule, for generic f and g",
    note=NOTE,
    where="line 15",
    variables=[x],
    function=f(g(X)),
    variable=x,
    steps=[
        step(r"\frac{d}{dx}[f(g(x))]", D(f(g(X)), X), "the derivative to find"),
        step(r"= f'(g(x)) \cdot g'(x)", prime(f, g(X)) * D(g(X), X), "chain rule"),
    ],
)

sign = choice("s", -1, 1)
S = sign.symbol
SUM_RULE = derivation(
    id="002-sum-rule",
    title="Sum and difference rule, for generic f and g",
    note=NOTE,
    where="line 19",
    variables=[x, sign],
    function=f(X) + S * g(X),
    variable=x,
    remarks="The note's \\pm is the sign s in {-1, 1}.",
    steps=[
        step(r"\frac{d}{dx}[f(x) \pm g(x)]", D(f(X) + S * g(X), X), "the derivative to find"),
        step(r"= f'(x) \pm g'(x)", D(f(X), X) + S * D(g(X), X), "sum/difference rule"),
    ],
)

c = real("c", -3, 3)
CONSTANT_RULE = derivation(
    id="002-constant-multiple",
    title="Constant multiple rule, for a generic f",
    note=NOTE,
    where="line 23",
    variables=[x, c],
    function=c.symbol * f(X),
    variable=x,
    steps=[
        step(r"\frac{d}{dx}[c \cdot f(x)]", D(c.symbol * f(X), X), "the derivative to find"),
        step(r"= c \cdot f'(x)", c.symbol * D(f(X), X), "constant multiple rule"),
    ],
)

z = real("z")
Z = z.symbol
EXP_RULE = derivation(
    id="002-exp-rule",
    title="Derivative of the exponential",
    note=NOTE,
    where="line 27",
    variables=[z],
    function=exp(Z),
    variable=z,
    steps=[
        step(r"\frac{d}{dz}[e^z]", D(exp(Z), Z), "the derivative to find"),
        step(r"= e^z", exp(Z), "derivative of e^z"),
    ],
)

o, y = real("o", -3, 3), real("y", -3, 3)
OUT, Y = o.symbol, y.symbol
HALF_SQUARE = sp.Rational(1, 2) * (OUT - Y) ** 2
MSE = derivation(
    id="002-mse",
    title="Derivative of the squared error E = (o - y)^2 / 2",
    note=NOTE,
    where="lines 51-63 (repeated verbatim at 83-95; line 35 states the result)",
    variables=[o, y],
    function=HALF_SQUARE,
    variable=o,
    steps=[
        step(r"\frac{\partial E}{\partial o} = \frac{\partial}{\partial o} \left(\frac{1}{2}(o - y)^2 \right)",
             D(HALF_SQUARE, OUT), "the derivative to find"),
        step(r"\frac{\partial E}{\partial o} = \frac{1}{2} \cdot 2 \cdot (o - y)",
             sp.Mul(sp.Rational(1, 2), 2, OUT - Y, evaluate=False), "chain rule and power rule"),
        step(r"= (o - y)", OUT - Y, "the halves cancel"),
        error(r"\frac{\partial E}{\partial o_1} = 2 \cdot (o_1 - y)", 2 * (OUT - Y), "including the factor of 2",
              "the 1/2 in E already cancelled the 2: 2(o - y) is the derivative of (o - y)^2, not of E"),
        completion(OUT - Y, "the derivative of E = (o - y)^2 / 2"),
    ],
)

sigma = Var(sp.Symbol("sigma", positive=True), Interval(0, 1))
SIG = sigma.symbol
E = 1 + exp(-Z)
SIGMOID = derivation(
    id="002-sigmoid",
    title="Derivative of the sigmoid, line by line",
    note=NOTE,
    where="lines 101-137",
    variables=[z, sigma],
    function=sigmoid(Z),
    variable=z,
    definitions=((SIG, sigmoid(Z)),),
    remarks="sigma stands for sigma(z) = 1/(1 + e^{-z}); the side lines 109, 117, 125 and 131 are "
            "derivations of their own.",
    steps=[
        step(r"\sigma'(z) = \frac{d}{dz} \left(\frac{1}{1 + e^{-z}} \right)", D(1 / E, Z), "the derivative to find"),
        step(r"\sigma'(z) = -1 \cdot (1 + e^{-z})^{-2} \cdot \frac{d}{dz}(1 + e^{-z})", -1 * E**-2 * D(E, Z),
             "chain rule and power rule"),
        step(r"\sigma'(z) = \frac{e^{-z}}{(1 + e^{-z})^2}", exp(-Z) / E**2, "substitute back the inner derivative"),
        step(r"\sigma'(z) = \frac{\frac{1 - \sigma(z)}{\sigma(z)}}{(1 + e^{-z})^2}", frac((1 - SIG) / SIG, E**2),
             "substitute e^{-z} = (1 - sigma)/sigma"),
        step(r"= \frac{1 - \sigma(z)}{\sigma(z)(1 + e^{-z})^2}", (1 - SIG) / (SIG * E**2), "simplify"),
        step(r"\sigma'(z) = \frac{1 - \sigma(z)}{\sigma(z) \left(\frac{1}{\sigma(z)} \right)^2}",
             (1 - SIG) / (SIG * (1 / SIG) ** 2), "substitute 1 + e^{-z} = 1/sigma"),
        step(r"= \frac{1 - \sigma(z)}{\sigma(z)} \cdot \sigma(z)^2", (1 - SIG) / SIG * SIG**2, "invert the square"),
        step(r"= (1 - \sigma(z))\sigma(z)", (1 - SIG) * SIG, "cancel"),
        step(r"\sigma'(z) = \sigma(z)(1 - \sigma(z))", SIG * (1 - SIG), "reorder"),
    ],
)

SIGMOID_AS_POWER = derivation(
    id="002-sigmoid-as-power",
    title="The sigmoid rewritten as a power",
    note=NOTE,
    where="line 109",
    variables=[z],
    function=sigmoid(Z),
    steps=[step(r"\sigma(z) = (1 + e^{-z})^{-1}", E**-1, "a reciprocal as a power")],
)

SIGMOID_INNER = derivation(
    id="002-sigmoid-inner",
    title="The sigmoid's inner derivative d/dz (1 + e^{-z})",
    note=NOTE,
    where="line 117",
    variables=[z],
    function=E,
    variable=z,
    steps=[
        step(r"\frac{d}{dz}(1 + e^{-z})", D(1 + exp(-Z), Z), "the derivative to find"),
        error(r"= 0 + (-e^{-z}) \cdot (-1)", 0 + (-exp(-Z)) * (-1), "sum rule and chain rule",
              "the sign is applied twice: d/dz e^{-z} = e^{-z} (-1) = -e^{-z}, so the inner derivative is -e^{-z}"),
        completion(0 + exp(-Z) * (-1), "d/dz e^{-z} = e^{-z} (-1)"),
        error(r"= e^{-z}", exp(-Z), "multiply out", "carries the doubled sign: the inner derivative is -e^{-z}"),
        completion(-exp(-Z), "the inner derivative"),
    ],
)

SIGMOID_EXP = derivation(
    id="002-sigmoid-exp",
    title="e^{-z} in terms of the sigmoid",
    note=NOTE,
    where="line 125",
    variables=[z, sigma],
    function=exp(-Z),
    definitions=((SIG, sigmoid(Z)),),
    steps=[step(r"e^{-z} = \frac{1 - \sigma(z)}{\sigma(z)}", (1 - SIG) / SIG, "solve sigma = 1/(1 + e^{-z})")],
)

SIGMOID_RECIPROCAL = derivation(
    id="002-sigmoid-reciprocal",
    title="1 + e^{-z} in terms of the sigmoid",
    note=NOTE,
    where="line 131",
    variables=[z, sigma],
    function=E,
    definitions=((SIG, sigmoid(Z)),),
    steps=[step(r"1 + e^{-z} = \frac{1}{\sigma(z)}", 1 / SIG, "the sigmoid's definition, inverted")],
)

# The output unit: z_o = sum_i w_oi h_i + b_o over three hidden units, o_1 = sigma(z_o).
ws = [real(f"w_o{i}", -2, 2) for i in (1, 2, 3)]
hs = [real(f"h_{i}", -2, 2) for i in (1, 2, 3)]
b_o, eta, target = real("b_o", -2, 2), positive("eta", 0, 1), real("y", 0, 1)
W1, H1, B_O, ETA, T = ws[0].symbol, hs[0].symbol, b_o.symbol, eta.symbol, target.symbol
z_o, o_1 = Var(sp.Symbol("z_o", real=True), Interval(-6, 6)), Var(sp.Symbol("o_1", real=True), Interval(0, 1))
delta_o = Var(sp.Symbol("delta_o", real=True), Interval(-1, 1))
ZO, O1, DELTA = z_o.symbol, o_1.symbol, delta_o.symbol
ERROR_OF_O1 = sp.Rational(1, 2) * (O1 - T) ** 2
UNIT = [*ws, *hs, b_o, target]
PRE_ACTIVATION = sum((w.symbol * h.symbol for w, h in zip(ws, hs, strict=True)), start=B_O)
OUTPUT = ((O1, sigmoid(ZO)), (ZO, PRE_ACTIVATION))
DELTA_DEFINITION = ((DELTA, D(ERROR_OF_O1, O1) * D(O1, ZO)), *OUTPUT)

DO1_DZO = derivation(
    id="002-do1-dzo",
    title="The output sigmoid's derivative in terms of o_1",
    note=NOTE,
    where="line 71 (and line 39)",
    variables=[z_o, o_1],
    function=sigmoid(ZO),
    variable=z_o,
    definitions=((O1, sigmoid(ZO)),),
    steps=[step(r"\frac{\partial o_1}{\partial z_o} = o_1 \cdot (1 - o_1)", O1 * (1 - O1), "sigmoid derivative")],
)

DELTA_O = derivation(
    id="002-delta-o",
    title="The output error signal delta_o = dE/dz_o",
    note=NOTE,
    where="lines 143-147 (stated at 43 and 75)",
    variables=[z_o, o_1, target],
    function=ERROR_OF_O1,
    variable=z_o,
    definitions=((O1, sigmoid(ZO)),),
    steps=[
        step(r"\delta_o = \frac{\partial E}{\partial o_1} \cdot \frac{\partial o_1}{\partial z_o}",
             D(ERROR_OF_O1, O1) * D(O1, ZO), "chain rule"),
        error(r"\delta_o = 2 \cdot (o_1 - y) \cdot o_1 \cdot (1 - o_1)", 2 * (O1 - T) * O1 * (1 - O1),
              "substitute steps 1 and 2", "carries the extra factor 2 of dE/do_1"),
        completion((O1 - T) * O1 * (1 - O1), "with dE/do_1 = o_1 - y"),
    ],
)

DZO_DW = derivation(
    id="002-dzo-dw",
    title="dz_o/dw_oi (i = 1 of three hidden units)",
    note=NOTE,
    where="lines 159-163",
    variables=UNIT,
    function=PRE_ACTIVATION,
    variable=ws[0],
    steps=[step(r"\frac{\partial z_o}{\partial w_{oi}} = h_i", H1, "only w_oi h_i depends on w_oi")],
)

DE_DW = derivation(
    id="002-dE-dw",
    title="dE/dw_oi = delta_o h_i",
    note=NOTE,
    where="line 167",
    variables=[*UNIT, z_o, o_1, delta_o],
    function=ERROR_OF_O1,
    variable=ws[0],
    definitions=DELTA_DEFINITION,
    steps=[
        step(r"\frac{\partial E}{\partial w_{oi}} = \frac{\partial E}{\partial z_o} \cdot "
             r"\frac{\partial z_o}{\partial w_{oi}}", D(ERROR_OF_O1, ZO) * D(ZO, W1), "chain rule"),
        step(r"= \delta_o \cdot h_i", DELTA * H1, "delta_o = dE/dz_o and dz_o/dw_oi = h_i"),
    ],
)

WEIGHT_UPDATE = derivation(
    id="002-weight-update",
    title="The weight update w_oi <- w_oi - eta delta_o h_i",
    note=NOTE,
    where="line 171 (stated at 155)",
    variables=[*UNIT, eta, z_o, o_1, delta_o],
    function=W1 - ETA * D(ERROR_OF_O1, W1),
    definitions=DELTA_DEFINITION,
    steps=[step(r"w_{oi} - \eta \cdot \frac{\partial E}{\partial w_{oi}} = w_{oi} - \eta \cdot \delta_o \cdot h_i",
                W1 - ETA * DELTA * H1, "substitute dE/dw_oi")],
)

DZO_DB = derivation(
    id="002-dzo-db",
    title="dz_o/db_o",
    note=NOTE,
    where="line 181",
    variables=UNIT,
    function=PRE_ACTIVATION,
    variable=b_o,
    steps=[step(r"\frac{\partial z_o}{\partial b_o} = 1", 1, "b_o enters z_o with coefficient 1")],
)

DE_DB = derivation(
    id="002-dE-db",
    title="dE/db_o = delta_o",
    note=NOTE,
    where="line 185",
    variables=[*UNIT, z_o, o_1, delta_o],
    function=ERROR_OF_O1,
    variable=b_o,
    definitions=DELTA_DEFINITION,
    steps=[
        step(r"\frac{\partial E}{\partial b_o} = \frac{\partial E}{\partial z_o} \cdot \frac{\partial z_o}{\partial b_o}",
             D(ERROR_OF_O1, ZO) * D(ZO, B_O), "chain rule"),
        step(r"= \delta_o", DELTA, "dz_o/db_o = 1"),
    ],
)

BIAS_UPDATE = derivation(
    id="002-bias-update",
    title="The bias update b_o <- b_o - eta delta_o",
    note=NOTE,
    where="line 189 (stated at 177)",
    variables=[*UNIT, eta, z_o, o_1, delta_o],
    function=B_O - ETA * D(ERROR_OF_O1, B_O),
    definitions=DELTA_DEFINITION,
    steps=[step(r"b_o - \eta \cdot \frac{\partial E}{\partial b_o} = b_o - \eta \cdot \delta_o",
                B_O - ETA * DELTA, "substitute dE/db_o")],
)

DERIVATIONS = (
    POWER_RULE, CHAIN_RULE, SUM_RULE, CONSTANT_RULE, EXP_RULE, MSE, SIGMOID, SIGMOID_AS_POWER, SIGMOID_INNER,
    SIGMOID_EXP, SIGMOID_RECIPROCAL, DO1_DZO, DELTA_O, DZO_DW, DE_DW, WEIGHT_UPDATE, DZO_DB, DE_DB, BIAS_UPDATE,
)
