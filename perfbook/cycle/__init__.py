"""The year after the target table: 绩效监控表 (mid-year) and 绩效自评表 (year end), made from it and scored
in the sheet by the rules in data/scoring.yaml (make, scoring, check, read)."""
from .check import check_cycle
from .exports import read_exports
from .make import monitor, selfeval
from .read import read_cycle
from .scoring import scheme_for

__all__ = ["selfeval", "monitor", "read_cycle", "check_cycle", "read_exports", "scheme_for"]
