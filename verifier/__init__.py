"""backproof's engine: check derivations step by step, symbolically and numerically."""

__version__ = "0.1.0"

from verifier.check import check_step
from verifier.context import Context, Region
from verifier.model import Choice, Constraint, Derivation, Interval, Kink, Step, Var
from verifier.verdicts import Counterexample, DerivationResult, NumericCheck, StepResult, StepVerdict
from verifier.verify import verify, verify_all

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
