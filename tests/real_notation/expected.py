"""Expected verdicts for tests/real_notation/*.md, decided by hand and checked numerically (mpmath), not by backproof.

Each derivation id maps to the verdicts of its steps, in file order. Steps are counted as the README
counts them: in `A = B = C` the steps are A = B and B = C; a name on the left (`\\frac{dy}{dx} =`,
`f'(x) =`) is a label, not a step; a chain that starts with `\\frac{d}{dx} F` makes that first
element a step too. After a refuted step the next is compared with the last one that held.

"proved": true as the source means it; "refuted": false (a planted mistake, or the source's own);
"ambiguous": the line has two common readings that give different verdicts (tests/real_notation/ambiguous.md).
"""

from __future__ import annotations

P = "proved"
R = "refuted"
A = "ambiguous"

EXPECTED: dict[str, tuple[str, ...]] = {
    # activations.md
    "sigmoid-aligned": (P,) * 10,
    "sigmoid-align-star": (P,) * 11,
    "sigmoid-one-line": (P, P),
    "sigmoid-substitution": (P,) * 5,
    "sigmoid-planted-sign": (R,),
    "sigmoid-boxed": (P, P),
    "tanh-array": (P,) * 5,
    "tanh-proofwiki": (P, P, P),
    "tanh-proofwiki-corollary": (P, P),
    "tanh-rohit": (P, P, P),
    "tanh-planted-sign": (P, R),
    "swish-rohit": (P,),
    "relu-cases-rohit": (P,),
    "relu-cases": (P,),
    "elu-rohit": (P,),
    "gelu-exact": (P, P, P),
    "gelu-tanh-planted": (P, R),
    "gelu-tanh": (P, P),
    "softplus-sefiks": (P,) * 6,
    "softplus-gather": (P,) * 5 + (A,),  # sigmoid(x) without a backslash: as amb-tanh-letters
    "softplus-planted": (P, R),
    "softplus-beta": (P, P, P),
    "relu-abs": (P, P),
    # losses.md
    "bce-dyhat": (P,) * 6,
    "bce-dz": (P, P, P),
    "bce-dz-planted": (R,),
    "bce-dw": (P,),
    "logistic-loss-simplify": (P,) * 4,
    "logistic-loss-grad": (P, P),
    "log-sigmoid": (P, P, P),
    "log-sigmoid-neg": (P, P, P),
    "word2vec-negative-sampling": (P, P, R),
    "squared-error": (P, P),
    "huber": (P,),
    "hinge": (P,),
    "ridge-one-example": (P,),
    "l2-planted": (P, R),
    "l2-penalty": (P, P),
    "vae-kl-sigma": (P, P),
    "gaussian-loglik-mu": (P, P),
    "gaussian-loglik-sigma": (P, P),
    # autodiff_rules.md
    "autograd-tan": (P, P),
    "autograd-arcsin": (P, P),
    "torch-acos": (P, P),
    "autograd-arctan": (P, P),
    "arctan-planted": (P, R),
    "autograd-arcsinh": (P, P),
    "autograd-arccosh": (P, P),
    "autograd-arctanh": (P, P),
    "autograd-tanh": (P, P),
    "autograd-log1p": (P, P),
    "autograd-expm1": (P, P),
    "autograd-log2": (P, P),
    "autograd-exp2": (P, P),
    "autograd-sqrt": (P, P),
    "autograd-sinc": (P, P),
    "autograd-logaddexp": (P, P, P),
    "autograd-power-exponent": (P, P),
    "autograd-power-base": (P, P),
    "autograd-divide": (P, P),
    "torch-abs": (P, P),
    "torch-atan2": (P, P),
    "torch-xlogy": (P, P),
    "torch-erfcx": (P, P),
    "torch-erfinv": (P, P),
    "autograd-logit": (P, P),
    "autograd-expit": (P, P),
    # special_functions.md
    "erf": (P, P),
    "erf-planted": (P, R),
    "erfc": (P, P),
    "normal-cdf": (P, P, P),
    "normal-pdf": (P,),
    "normal-pdf-scale": (P,),
    "normal-cdf-scale": (P, P),
    "normal-logcdf": (P, P, P),
    "gamma": (P, P),
    "lgamma": (P, P),
    "digamma-definition": (P, P),
    "digamma-derivative": (P, P),
    "rgamma": (P, P),
    "beta-a": (P, P),
    "betaln-planted": (P, R),
    "beta-gamma": (P, P),
    "trig-sec": (P, P),
    "trig-csc": (P, P),
    "trig-cot": (P, P),
    "trig-tan": (P, P),
    "sec-bigg": (P,) * 5,
    "csc-bigg": (P,) * 5,
    "tan-wikibooks": (P,) * 5,
    "cot-wikibooks": (P, R, R),
    "sec-wikibooks": (P, P, P),
    "cosec-wikibooks": (P, P, P),
    "artanh-proofwiki": (P, A),  # \tanh^{-1}: the inverse or 1/tanh, as amb-sinh-inverse
    "artanh-vaia": (P, R),
    "arctan-tanh-vaia": (P,) * 7,
    "arcsec-flashcard": (P, R),
    # sums.md
    "softmax-jacobian-cases": (P,),
    "softmax-jacobian-delta": (P,),
    "ce-softmax-zakariapz": (P, P),
    "ce-softmax-sunhaozhe": (P,) * 6,
    "softmax-stats-se": (P,) * 5,
    "ce-softmax-k3": (P, P),
    "logsumexp-grad": (P, P),
    "logsoftmax-jacobian": (P,),
    "mse-sum": (P,),
    "mse-sum-planted": (R,),
    "sse-dropped-x-planted": (P, R),
    "ridge-sum": (P,),
    "bce-mean-bias": (P,),
    "bce-mean-weight": (P,),
    "l2-sum": (P, P),
    "polynomial-sum": (P, P),
    # calculus_rules.md
    "sympy-product-chain": (P, P),
    "sympy-exp-square": (P, P),
    "sympy-sin-cos": (P, P, P),
    "quotient-liquisearch": (P, P, P, P),
    "quotient-uv": (P, P, P),
    "quotient-planted": (P, R),
    "quotient-sin-x2": (P, P, P),
    "chain-leibniz": (P, P, P),
    "chain-mathrm-d": (P, P),
    "product-planted": (P, R),
    # ambiguous.md: the first step of a chain starting with d/dx F is that derivative itself
    "amb-derivative-cdot": (P, A),  # the literature: the whole product; the README's reading stops at \cdot
    "amb-tanh-letters": (P, A),  # the literature: the function tanh, not t·a·n·h·x
    "amb-transpose": (A,),  # the literature: the transpose (w^T x = w x for a scalar), not the power T
    "amb-sinh-inverse": (P, A),  # the literature: the inverse function arsinh, not 1/sinh
    "amb-phi-inverse": (P, A),  # the literature: the normal quantile, not 1/Φ
    "amb-half-x-squared": (P, A),  # the literature: (1/2) x^2, not 1/(2x^2)
    "amb-log-square": (P, A),  # the literature: log(x^2), not (log x)^2
    # more_*.md: written by an independent helper from sources backproof had not seen (2026-12-02), with
    # the expected verdicts it gave before running backproof
    "logistic-techqa-question": (P, P, R, P),
    "logistic-techqa-answer": (P,) * 5,
    "sigmoid-raschka": (P,) * 10,
    "mml-sigmoid-quotient": (P,) * 3,
    "sigmoid-gain-first": (P,),
    "mish-paper-omega": (P,),
    "mish-paper-sech": (P,),
    "softplus-second-tf": (P,) * 3,
    "squareplus-jax": (P, P),
    "hardswish-torch": (P, P),
    "swish-beta": (P, P),
    "wiki-logistic-tanh": (P,) * 3,
    "log-ndtr": (P,) * 3,
    "igamma-x": (P,) * 3,
    "hurwitz-zeta": (P, P),
    "bessel-i0": (P, P),
    "bessel-i0e": (P, P),
    "log10-constant": (P, R),
    "polygamma": (P, P),
    "student-t": (P, P),
    "focal-fl-grad": (P,),
    "focal-planted": (R,),
    "huber-torch-docs": (P,),
    "kl-bernoulli": (P,) * 3,
    "kl-gradient-techqa": (P,) * 3,
    "distillation-hinton": (P, P),
    "cs231n-svm-grad": (P,),
    "poisson-nll-torch": (P, P),
    "gaussian-nll-torch": (P,),
    "softmax-ce-553668": (P,) * 6,
    "softmax-ce-asker-error": (R,) * 3,
    "lse-wiki-cdots": (P, P),
    "softmax-sigma-z-i": (P, P),
    "softmax-graves-kprime": (P,),
    "wiki-backprop-net": (P,) * 3,
    "cs229-h-grad": (P, P),  # the first step of a chain starting with a derivative of an expression is itself
    "bn-website-claim": (P, R),
    "bn-quotient": (P,) * 5,  # as cs229-h-grad: the chain from \frac{\partial \sigma^2}{\partial x_i} has two
}

# Not read as written yet by the current reader (a read error in the section, or steps missing): strict
# xfails, so that reading one makes its test fail until it is taken off this list. Measured on main
# (the reader of this commit) with bench/reading.py.
NOT_READ_YET: set[str] = {
    "softplus-second-tf",
    "huber-torch-docs",
    "kl-gradient-techqa",
    "cs231n-svm-grad",
    "poisson-nll-torch",
    "gaussian-nll-torch",
    "polygamma",
    "softmax-ce-asker-error",
    "lse-wiki-cdots",
    "softmax-sigma-z-i",
    "softmax-graves-kprime",
    "bce-dw",
    "logsoftmax-jacobian",
    "relu-cases-rohit",
    "softmax-stats-se",
    "softplus-beta",
    "softplus-sefiks",
    "word2vec-negative-sampling",
    "hardswish-torch",  # two kink conventions in one section: an error (the second replaced the first, unsaid)
}

# Read as written, but some verdict differs from EXPECTED (strict xfails too).
NOT_JUDGED_RIGHT_YET: set[str] = {
    "bessel-i0",
    "bessel-i0e",
    "log10-constant",
    "huber",
    "amb-transpose",
    "elu-rohit",  # alpha in (0.1, 2): the one-sided derivatives at 0 are alpha and 1, so f'(0) exists only at 1
    "hinge",
}
