"""perfbook selfeval: the 绩效自评表 of an approved target table (perfbook/cycle)."""
from __future__ import annotations

__all__ = ["add_parser", "run"]

KIND = "selfeval"
HELP = "由绩效目标表生成绩效自评表（表内公式评分）/ make the self-evaluation table from a target table"


def add_parser(sub):
    from ._cycle import add_cycle_parser
    add_cycle_parser(sub, KIND, HELP, run)


def run(args) -> int:
    from ._cycle import run_cycle
    return run_cycle(args, KIND)
