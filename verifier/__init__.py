"""backproof's engine: check derivations step by step, symbolically and numerically."""

import sys

__version__ = "0.1.0"

# Python refuses to print integers past 4,300 digits (a guard against slow conversions); steps such
# as 2^{9999} * 2^{9999} hold larger ones, which the reader's size limits keep below this.
if hasattr(sys, "get_int_max_str_digits") and 0 < sys.get_int_max_str_digits() < 100_000:
    sys.set_int_max_str_digits(100_000)

# The public names are imported when first used (PEP 562), so that `import verifier.launch` stays light and
# Ctrl-C while SymPy loads can be answered with one line.
_EXPORTS = {
    "check_step": "verifier.check", "Context": "verifier.context", "Region": "verifier.context",
    "Choice": "verifier.model", "Constraint": "verifier.model", "Derivation": "verifier.model",
    "Interval": "verifier.model", "Kink": "verifier.model", "Step": "verifier.model", "Var": "verifier.model",
    "Counterexample": "verifier.verdicts", "DerivationResult": "verifier.verdicts", "NumericCheck": "verifier.verdicts",
    "StepResult": "verifier.verdicts", "StepVerdict": "verifier.verdicts", "verify": "verifier.verification",
    "verify_all": "verifier.verification",
}


def __getattr__(name: str) -> object:
    """A public name, imported from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'verifier' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = [
    "Choice",
    "Constraint",
    "Context",
    "Counterexample",
    "Derivation",
    "DerivationResult",
    "Interval",
    "Kink",
    "NumericCheck",
    "Region",
    "Step",
    "StepResult",
    "StepVerdict",
    "Var",
    "__version__",
    "check_step",
    "verify",
    "verify_all",
]
