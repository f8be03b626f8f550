"""What the names in a text file mean: declared symbols, defined symbols and functions."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from verifier.model import Choice, Interval, Var

DEFAULT_DOMAIN = Interval(-6, 6, unbounded=(True, True))  # any real, sampled in (-6, 6)

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho "
    "varrho tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Phi Psi Omega".split()
)

# named functions a formula may apply without declaring them (\sigma is the logistic sigmoid)
BUILTIN_FUNCTIONS: dict[str, sp.Lambda] = {}
# names that are also common variables (\psi, \Gamma, B): functions only when applied to an argument and not declared
APPLIED_FUNCTIONS: dict[str, sp.Lambda] = {}


def _builtin(name: str, body: sp.Expr, *params: sp.Symbol, table: dict[str, sp.Lambda] = BUILTIN_FUNCTIONS) -> None:
    table[name] = sp.Lambda(params, body)


_u, _v = sp.symbols("u v")
_builtin("exp", sp.exp(_u), _u)
_builtin("ln", sp.log(_u), _u)
_builtin("log", sp.log(_u), _u)
_builtin("sigma", 1 / (1 + sp.exp(-_u)), _u)
_builtin("max", sp.Max(_u, _v), _u, _v)
_builtin("min", sp.Min(_u, _v), _u, _v)
_builtin("ReLU", sp.Max(0, _u), _u)
_builtin("relu", sp.Max(0, _u), _u)
_builtin("step", sp.Heaviside(_u), _u)
_builtin("Heaviside", sp.Heaviside(_u), _u)
_ELEMENTARY = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cosec": sp.csc, "cot": sp.cot,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "sech": sp.sech, "csch": sp.csch, "coth": sp.coth,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "arcsec": sp.asec, "arccsc": sp.acsc,
    "arsinh": sp.asinh, "arcsinh": sp.asinh, "asinh": sp.asinh,
    "arcosh": sp.acosh, "arccosh": sp.acosh, "acosh": sp.acosh,
    "artanh": sp.atanh, "arctanh": sp.atanh, "atanh": sp.atanh,
    "erf": sp.erf, "erfc": sp.erfc, "erfinv": sp.erfinv,
    "loggamma": sp.loggamma, "lgamma": sp.loggamma, "gammaln": sp.loggamma, "digamma": sp.digamma,
    "factorial": sp.factorial, "sgn": sp.sign, "sign": sp.sign, "abs": sp.Abs,
}
BUILTIN_FUNCTIONS.update({name: sp.Lambda((_u,), function(_u)) for name, function in _ELEMENTARY.items()})
_builtin("logit", sp.log(_u / (1 - _u)), _u)
for _name in ("sigmoid", "Sigmoid", "expit", "logistic"):  # the names autodiff libraries and blogs give \sigma
    _builtin(_name, 1 / (1 + sp.exp(-_u)), _u)
_builtin("arccot", sp.pi / 2 - sp.atan(_u), _u)  # the textbooks' arccot, onto (0, pi) (SymPy's acot jumps at 0)
_builtin("erfcinv", sp.erfinv(1 - _u), _u)  # as erfinv, which the numeric check and Arb evaluate
_builtin("log1p", sp.log(1 + _u), _u)
_builtin("expm1", sp.exp(_u) - 1, _u)
_builtin("softsign", _u / (1 + sp.Abs(_u)), _u)
_builtin("silu", _u / (1 + sp.exp(-_u)), _u)
_builtin("swish", _u / (1 + sp.exp(-_u)), _u)
_builtin("softplus", sp.log(1 + sp.exp(_u)), _u)
_builtin("Beta", sp.beta(_u, _v), _u, _v)
_builtin("atan2", sp.atan2(_u, _v), _u, _v)  # atan2(y, x), the angle of (x, y)
_builtin("besseli", sp.besseli(_u, _v), _u, _v)  # besseli(nu, x) = I_nu(x)
_builtin("psi", sp.digamma(_u), _u, table=APPLIED_FUNCTIONS)
_builtin("Gamma", sp.gamma(_u), _u, table=APPLIED_FUNCTIONS)
_builtin("B", sp.beta(_u, _v), _u, _v, table=APPLIED_FUNCTIONS)
_builtin("gamma", sp.lowergamma(_u, _v), _u, _v, table=APPLIED_FUNCTIONS)  # \gamma(a, x); \gamma x is a product
_builtin("zeta", sp.zeta(_u), _u, table=APPLIED_FUNCTIONS)
# the same name applied to another number of arguments: \Gamma(a, x), \zeta(s, q) (Hurwitz)
_MORE = sp.symbols("u v w t")  # max(x, y, z): three or four arguments
ARITY_VARIANTS: dict[tuple[str, int], sp.Lambda] = {
    ("Gamma", 2): sp.Lambda((_u, _v), sp.uppergamma(_u, _v)),
    ("zeta", 2): sp.Lambda((_u, _v), sp.zeta(_u, _v)),
    **{(name, count): sp.Lambda(_MORE[:count], extreme(*_MORE[:count]))
       for name, extreme in (("max", sp.Max), ("min", sp.Min)) for count in (3, 4)},
}

# functions of a vector or matrix only, known in a section that declares a matrix
MATRIX_FUNCTIONS: dict[str, type] = {name: sp.Function(name) for name in ("softmax", "Softmax", "tr", "Tr", "trace",
                                                                                  "diag")}

# what `\Phi standard normal cdf` and `\phi standard normal pdf` declare
NORMAL_CDF = sp.Lambda((_u,), (1 + sp.erf(_u / sp.sqrt(2))) / 2)
NORMAL_PDF = sp.Lambda((_u,), sp.exp(-_u**2 / 2) / sp.sqrt(2 * sp.pi))
# applied and declared nowhere, \Phi(x) and \phi(x) are the standard normal CDF and density (GELU, probit)
APPLIED_FUNCTIONS.update(Phi=NORMAL_CDF, phi=NORMAL_PDF)
# each function with an inverse backproof knows, by its formula: f^{-1} of a built-in or a declared function
# whose formula is one of these (\Phi(x) = \frac{1}{2}[1 + \operatorname{erf}(x/\sqrt{2})] is NORMAL_CDF)
INVERSE_FUNCTIONS: tuple[tuple[sp.Lambda, sp.Lambda], ...] = (
    *((sp.Lambda((_u,), f(_u)), sp.Lambda((_u,), g(_u))) for f, g in (
        (sp.sin, sp.asin), (sp.cos, sp.acos), (sp.tan, sp.atan), (sp.sec, sp.asec), (sp.csc, sp.acsc),
        (sp.sinh, sp.asinh), (sp.cosh, sp.acosh), (sp.tanh, sp.atanh), (sp.exp, sp.log), (sp.log, sp.exp),
        (sp.erf, sp.erfinv))),
    (sp.Lambda((_u,), sp.cot(_u)), BUILTIN_FUNCTIONS["arccot"]),
    (sp.Lambda((_u,), sp.erfc(_u)), BUILTIN_FUNCTIONS["erfcinv"]),
    (BUILTIN_FUNCTIONS["sigma"], BUILTIN_FUNCTIONS["logit"]),
    (BUILTIN_FUNCTIONS["logit"], BUILTIN_FUNCTIONS["sigma"]),
    (BUILTIN_FUNCTIONS["softplus"], sp.Lambda((_u,), sp.log(sp.exp(_u) - 1))),
    (NORMAL_CDF, sp.Lambda((_u,), sp.sqrt(2) * sp.erfinv(2 * _u - 1))),
)


def inverse_function(function: sp.Lambda) -> sp.Lambda | None:
    """The inverse of a function of one argument, when its formula is one INVERSE_FUNCTIONS knows."""
    if not isinstance(function, sp.Lambda) or len(function.variables) != 1:
        return None
    body = function(_u)
    return next((inverse for known, inverse in INVERSE_FUNCTIONS if known(_u) == body), None)


# the sizes a symbolic size (`n \in \mathbb{N}`) is screened at, as the corpus screens K
SIZE_DOMAIN = Choice((2, 3, 4, 5), sampled_only=True)  # not 1: x_2 needs n >= 2


@dataclass(frozen=True)
class Names:
    """The meaning of every name a section's formulas may use."""

    variables: tuple[Var, ...] = ()
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    functions: tuple[tuple[str, sp.Lambda], ...] = ()
    euler: bool = True  # `e` is Euler's number unless a symbol e is declared
    sizes: tuple[sp.Symbol, ...] = ()  # symbolic sizes (`n \in \mathbb{N}`): positive integers a sum may run to
    builtins: bool = True  # False: only declared functions (a where line's names: `\sigma real` declares a symbol)
    entry_names: tuple[tuple[str, sp.MatrixSymbol], ...] = ()  # a_{ij} = A_{ij}: lowercase names of entries
    index_ends: tuple[int, ...] = ()  # K of each `indices k from 1 to K` and `... for i from 1 to K` line

    def symbol(self, name: str) -> sp.Symbol:
        """The symbol called `name`: the declared one, or a real one (noted as undeclared)."""
        for var in self.variables:
            if var.symbol.name == name:
                return var.symbol
        for symbol, _ in self.definitions:
            if symbol.name == name:
                return symbol
        return sp.Symbol(name, real=True)

    def is_declared(self, name: str) -> bool:
        """Whether `name` is a declared or defined symbol."""
        return any(v.symbol.name == name for v in self.variables) or any(s.name == name for s, _ in self.definitions)

    def function(self, name: str) -> sp.Lambda | None:
        """The function called `name`, declared or built in."""
        declared = dict(self.functions)
        if name not in declared and self.builtins and name in MATRIX_FUNCTIONS and self.has_matrices:
            return MATRIX_FUNCTIONS[name]
        return declared.get(name, BUILTIN_FUNCTIONS.get(name) if self.builtins else None)

    @property
    def has_matrices(self) -> bool:
        """Whether a matrix is declared (softmax, tr ... are then functions of it)."""
        return any(isinstance(v.symbol, sp.MatrixSymbol) for v in self.variables)

    def applied(self, name: str) -> sp.Lambda | None:
        """The function `name` means when applied to an argument: `function(name)`, or, for a name that is not
        declared, one of the functions whose names are also variables (\\psi the digamma, \\Gamma, B the Beta)."""
        found = self.function(name)
        if found is None and self.builtins and not self.is_declared(name):
            return APPLIED_FUNCTIONS.get(name)
        return found

    def size(self, name: str) -> sp.Symbol | None:
        """The symbolic size called `name` (a positive integer symbol), or None."""
        return next((s for s in self.sizes if s.name == name), None)

    def with_variable(self, var: Var) -> Names:
        """These names with `var` declared (replacing an earlier symbol of that name)."""
        kept = tuple(v for v in self.variables if v.symbol.name != var.symbol.name)
        euler = self.euler and var.symbol.name != "e"
        return replace(self, variables=(*kept, var), euler=euler)

    def entries_of(self, base: str) -> sp.MatrixSymbol | None:
        """The matrix whose entries `base` names (a for A after `a_{ij} = A_{ij}`), or None."""
        return dict(self.entry_names).get(base)

    def with_entries_of(self, base: str, matrix: sp.MatrixSymbol) -> Names:
        """These names with `base`_{ij} naming the entries of `matrix`."""
        kept = tuple((b, m) for b, m in self.entry_names if b != base)
        return replace(self, entry_names=(*kept, (base, matrix)))

    def with_matrix(self, name: str, rows: sp.Expr, cols: sp.Expr, domain: Interval | Choice) -> Names:
        """These names with a matrix `name` of the given shape (sizes that are letters declared as sizes)."""
        names = self
        for size in (rows, cols):
            if isinstance(size, sp.Symbol) and names.size(size.name) is None:
                names = names.with_size(size.name)
        shape = [names.size(s.name) if isinstance(s, sp.Symbol) else s for s in (rows, cols)]
        return names.with_variable(Var(sp.MatrixSymbol(name, *shape), domain, "declared"))

    def with_index_end(self, end: int) -> Names:
        """These names with one more index range from 1 to `end` declared (where an unbounded sum may run)."""
        return replace(self, index_ends=(*self.index_ends, end))

    def with_size(self, name: str) -> Names:
        """These names with `name` a symbolic size: a positive integer symbol, screened at SIZE_DOMAIN's values."""
        symbol = sp.Symbol(name, integer=True, positive=True)
        kept = tuple(s for s in self.sizes if s.name != name)
        return replace(self.with_variable(Var(symbol, SIZE_DOMAIN)), sizes=(*kept, symbol))

    def with_definition(self, symbol: sp.Symbol, meaning: sp.Expr) -> Names:
        """These names with `symbol` defined as `meaning`."""
        kept = tuple((s, m) for s, m in self.definitions if s.name != symbol.name)
        return replace(self, definitions=(*kept, (symbol, meaning)))

    def with_function(self, name: str, function: sp.Lambda) -> Names:
        """These names with the function `name` declared."""
        kept = tuple((n, f) for n, f in self.functions if n != name)
        return replace(self, functions=(*kept, (name, function)))


def symbol_for(name: str, domain: Interval | Choice) -> sp.Symbol:
    """A symbol whose assumptions match its domain (positive, integer or real)."""
    if isinstance(domain, Choice):
        return sp.Symbol(name, integer=True)
    sign = domain.sign()
    return sp.Symbol(name, **{sign if sign in ("positive", "nonnegative") else "real": True})
