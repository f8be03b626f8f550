"""What the names in a text file mean: declared symbols, defined symbols and functions."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from verifier.model import Choice, Interval, Var

DEFAULT_DOMAIN = Interval(-6, 6)

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho "
    "varrho tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Phi Psi Omega".split()
)

# named functions a formula may apply without declaring them (\sigma is the logistic sigmoid)
BUILTIN_FUNCTIONS: dict[str, sp.Lambda] = {}


def _builtin(name: str, body: sp.Expr, *params: sp.Symbol) -> None:
    BUILTIN_FUNCTIONS[name] = sp.Lambda(params, body)


_u, _v = sp.symbols("u v")
_builtin("exp", sp.exp(_u), _u)
_builtin("ln", sp.log(_u), _u)
_builtin("log", sp.log(_u), _u)
_builtin("tanh", sp.tanh(_u), _u)
_builtin("sinh", sp.sinh(_u), _u)
_builtin("cosh", sp.cosh(_u), _u)
_builtin("sin", sp.sin(_u), _u)
_builtin("cos", sp.cos(_u), _u)
_builtin("sigma", 1 / (1 + sp.exp(-_u)), _u)
_builtin("max", sp.Max(_u, _v), _u, _v)
_builtin("min", sp.Min(_u, _v), _u, _v)
_builtin("ReLU", sp.Max(0, _u), _u)
_builtin("relu", sp.Max(0, _u), _u)
_builtin("step", sp.Heaviside(_u), _u)
_builtin("Heaviside", sp.Heaviside(_u), _u)


@dataclass(frozen=True)
class Names:
    """The meaning of every name a section's formulas may use."""

    variables: tuple[Var, ...] = ()
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    functions: tuple[tuple[str, sp.Lambda], ...] = ()
    euler: bool = True  # `e` is Euler's number unless a symbol e is declared

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
        return declared.get(name, BUILTIN_FUNCTIONS.get(name))

    def with_variable(self, var: Var) -> Names:
        """These names with `var` declared (replacing an earlier symbol of that name)."""
        kept = tuple(v for v in self.variables if v.symbol.name != var.symbol.name)
        euler = self.euler and var.symbol.name != "e"
        return replace(self, variables=(*kept, var), euler=euler)

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
    if domain.lo >= 0:
        return sp.Symbol(name, positive=True)
    return sp.Symbol(name, real=True)
