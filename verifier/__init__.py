"""backproof's engine: check derivations step by step, symbolically and numerically."""

import sys

__version__ = "0.1.0"

# Python refuses to print integers past 4,300 digits (a guard against slow conversions); steps such
# as 2^{9999} * 2^{9999} hold larger ones, which the reader's size limits keep below this.
if hasattr(sys, "get_int_max_str_digits") and 0 < sys.get_int_max_str_digits() < 100_000:
    sys.set_int_max_str_digits(100_000)

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
