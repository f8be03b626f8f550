"""Note 000: sigmoid, ReLU and softmax derivatives, as its author wrote them."""

import sympy as sp

from derivations.notation import (
    D,
    completion,
    derivation,
    error,
    exp,
    frac,
    kink,
    plus,
    real,
    sigmoid,
    slip,
    step,
)

NOTE = "000_d4b6f96e31f6b881.txt"

x = real("x")
z = real("z")
X = x.symbol
Z = z.symbol
A = 1 + exp(-X)  # the note's recurring 1 + e^{-x}

SIGMOID = derivation(
    id="000-sigmoid",
    title="Derivative of the sigmoid",
    note=NOTE,
    where="lines 9-35",
    variables=[x, z],
    function=sigmoid(X),
    variable=x,
    steps=[
        step(r"\frac{d}{dx} \left(\frac{1}{1+e^{-x}} \right)", D(1 / A, X), "the derivative to find"),
        slip(r"= (1+e^{-x})^{-1}", A**-1, "sigmoid rewritten as a power",
             "the d/dx is dropped: the line equates the derivative with the function itself"),
        completion(D(A**-1, X), "the intended line: d/dx (1+e^{-x})^{-1}"),
        step(r"= -(1+e^{-x})^{-2} \frac{d}{dx} (1+e^{-x})", -(A**-2) * D(A, X), "power rule and chain rule"),
        step(r"= - \frac{1}{(1+e^{-x})^2} \frac{d}{dx} (1+e^{-x})", -1 / A**2 * D(A, X), "negative power as a fraction"),
        step(r"= - \frac{1}{(1+e^{-x})^2} e^{-x} \frac{d}{dx} (-x)", -1 / A**2 * exp(-X) * D(-X, X),
             "derivative of e^{u} is e^{u} du/dx"),
        step(r"= - \frac{1}{(1+e^{-x})^2} e^{-x} (-1)", -1 / A**2 * exp(-X) * (-1), "d/dx (-x) = -1"),
        step(r"= \frac{e^{-x}}{(1+e^{-x})^2}", exp(-X) / A**2, "signs cancel"),
        step(r"\frac{d}{dx} = \frac{e^{-x} + 1 - 1}{(1+e^{-x})^2}", plus(exp(-X), 1, -1) / A**2,
             "add and subtract 1 in the numerator"),
        step(r"= \left(\frac{1}{1+e^{-x}} \right) \left(\frac{e^{-x} + 1 - 1}{1+e^{-x}} \right)",
             frac(1, A) * frac(plus(exp(-X), 1, -1), A), "split the fraction"),
        step(r"= \left(\frac{1}{1+e^{-x}} \right) \left(\frac{1+e^{-x} - 1}{1+e^{-x}} \right)",
             frac(1, A) * frac(plus(1, exp(-X), -1), A), "reorder the numerator"),
        step(r"= \left(\frac{1}{1+e^{-x}} \right) \left(1 - \frac{1}{1+e^{-x}} \right)",
             frac(1, A) * (1 - frac(1, A)), "split the second fraction"),
        slip(r"\therefore \frac{d}{dx} = \sigma(z)(1 - \sigma(z))", sigmoid(Z) * (1 - sigmoid(Z)),
             "1/(1+e^{-x}) is the sigmoid",
             "the sigmoid is written of z, but the variable is x: sigma(z)(1 - sigma(z)) is not a function of x"),
        completion(sigmoid(X) * (1 - sigmoid(X)), "the intended line: sigma(x)(1 - sigma(x))"),
        step(r"\frac{d}{dx} = \text{Sigmoid}(1 - \text{Sigmoid})", sigmoid(X) * (1 - sigmoid(X)),
             "the same in words"),
    ],
)

RELU = derivation(
    id="000-relu",
    title="Derivative of ReLU",
    note=NOTE,
    where="lines 39-43",
    variables=[x],
    function=sp.Max(0, X),
    variable=x,
    kink=kink(x, 0, "the note's 'otherwise' covers x = 0, as PyTorch does"),
    steps=[
        step(r"\text{if } x > 0, \frac{\partial(\text{relu})}{\partial x} = 1 \quad "
             r"\text{Otherwise, } \frac{\partial(\text{relu})}{\partial x} = 0",
             sp.Piecewise((1, X > 0), (0, True)), "max(0, x) is x for x > 0 and 0 otherwise"),
    ],
)

x1, x2, x3 = real("x_1"), real("x_2"), real("x_3")
X1, X2, X3 = x1.symbol, x2.symbol, x3.symbol
S = exp(X1) + exp(X2) + exp(X3)
DEFERRED = D(1 / S, X1) * exp(X1)  # the note's \frac{\partial}{\partial x_1}(1/S) \cdot e^{x_1}
SCALED_LINE = (
    r"= \frac{e^{x_1}}{e^{x_1} + e^{x_2} + e^{x_3}} + \frac{\partial}{\partial x_1} "
    r"\left(\frac{1}{e^{x_1} + e^{x_2} + e^{x_3}} \right) \cdot e^{x_1} (e^{x_1} + e^{x_2} + e^{x_3})"
)
SCALED = exp(X1) / S + DEFERRED * S
RESTATED = "the same line again"
RESTATED_WRONG = "restates the line above, so the one term is still multiplied by the sum"

SOFTMAX = derivation(
    id="000-softmax",
    title="Derivative of softmax (three inputs) in x_1",
    note=NOTE,
    where="lines 49-73",
    variables=[x1, x2, x3],
    function=exp(X1) / S,
    variable=x1,
    remarks=(
        r"Lines 49-51 define the softmax as e^{x_a} / \sum_{a=1}^n e^{x_a} = e^{x_1}/(e^{x_1}+e^{x_2}+e^{x_3}); "
        "the first reuses a as the summation index, and the component the note goes on with is a = 1, "
        "n = 3, which is the function encoded here. The note stops before the end: the last three "
        "steps are backproof's completion."
    ),
    steps=[
        step(r"\frac{\partial(\text{softmax})}{\partial x_1} = \frac{\partial}{\partial x_1} "
             r"\left(\frac{e^{x_1}}{e^{x_1} + e^{x_2} + e^{x_3}} \right)", D(exp(X1) / S, X1),
             "the derivative to find"),
        step(r"\frac{\partial}{\partial x_1} = \frac{\partial}{\partial x_1} "
             r"\left(\frac{e^{x_1}}{e^{x_1} + e^{x_2} + e^{x_3}} \right)", D(exp(X1) / S, X1),
             "the same derivative, written again"),
        step(r"= \frac{\partial}{\partial x_1} (e^{x_1}) \cdot \frac{1}{e^{x_1} + e^{x_2} + e^{x_3}} + "
             r"\frac{\partial}{\partial x_1} \left(\frac{1}{e^{x_1} + e^{x_2} + e^{x_3}} \right) \cdot e^{x_1}",
             D(exp(X1), X1) / S + DEFERRED, "product rule (the note says chain rule)"),
        step(r"= (e^{x_1}) \cdot \frac{1}{e^{x_1} + e^{x_2} + e^{x_3}} + \frac{\partial}{\partial x_1} "
             r"\left(\frac{1}{e^{x_1} + e^{x_2} + e^{x_3}} \right) \cdot e^{x_1}",
             exp(X1) * frac(1, S) + DEFERRED, "derivative of e^{x_1}"),
        step(r"= \frac{e^{x_1}}{e^{x_1} + e^{x_2} + e^{x_3}} + \frac{\partial}{\partial x_1} "
             r"\left(\frac{1}{e^{x_1} + e^{x_2} + e^{x_3}} \right) \cdot e^{x_1}",
             exp(X1) / S + DEFERRED, "multiply out"),
        error(SCALED_LINE, SCALED, "multiply the right side by the sum",
              "multiplying one side of an equation (here one term) by the sum changes its value"),
        error(SCALED_LINE, SCALED, RESTATED, RESTATED_WRONG),
        error(SCALED_LINE, SCALED, RESTATED, RESTATED_WRONG),
        error(SCALED_LINE, SCALED, RESTATED, RESTATED_WRONG),
        error(r"\frac{\partial(\text{softmax})}{\partial x_1} " + SCALED_LINE, SCALED, "the note's last line",
              RESTATED_WRONG),
        completion(exp(X1) / S + (-exp(X1) / S**2) * exp(X1), "d/dx_1 (1/S) = -e^{x_1}/S^2"),
        completion(exp(X1) / S - (exp(X1) / S) ** 2, "collect the square"),
        completion(exp(X1) / S * (1 - exp(X1) / S), "softmax_1 (1 - softmax_1)"),
    ],
)

DERIVATIONS = (SIGMOID, RELU, SOFTMAX)
