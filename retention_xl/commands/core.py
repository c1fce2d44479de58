"""Core sub-commands: retention of one period, customer value, profit projection, example."""

from __future__ import annotations

import argparse

from .. import formatting as fmt
from ..typed_text import number_from_text


def _number(text: str) -> float:
    """A count or amount, read by the one reader of typed text (1200, 1,200, 92.5)."""
    number = number_from_text(text)
    if number is None or text.strip().endswith("%"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (write 1200, 1,200 or 92.5)")
    return number


def _rate(text: str) -> float:
    """A rate typed as a fraction (0.8) or a percent (80%): both mean the same.

    A bare number above 1 is refused rather than guessed: 80 could mean 80% or 8000%.
    """
    number = number_from_text(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate (write 0.8 or 80%)")
    if abs(number) > 1 and not text.strip().endswith("%"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a rate: write {text.strip()}% for {text.strip()} percent, or a fraction such as 0.8")
    return number


def _uplift(text: str) -> float:
    """An improvement of retention: 0.05, 5% or 5pts all mean five points (or 5% in relative mode)."""
    stripped = text.strip().lower()
    for unit in ("points", "point", "pts", "pt"):
        if stripped.endswith(unit):
            number = number_from_text(stripped.removesuffix(unit).strip())
            if number is None or stripped.removesuffix(unit).strip().endswith("%"):
                break
            return number / 100
    number = number_from_text(stripped)
    if number is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an improvement (write 0.05, 5% or 5pts)")
    if abs(number) >= 1 and not stripped.endswith("%"):
        raise argparse.ArgumentTypeError(
            f"--uplift {text.strip()} would be {number * 100:,.15g} points: write {text.strip()}% or "
            f"{text.strip()}pts for {text.strip()} points, or a fraction such as 0.05")
    return number


def register(subparsers) -> None:
    p = subparsers.add_parser("retention", help="retention, churn and lost customers of one period",
                              description="Retention, churn and lost customers of one period.")
    p.add_argument("start_customers", type=_number, help="customers at the start of the period")
    p.add_argument("end_customers", type=_number, help="customers at the end (new ones included)")
    p.add_argument("new_customers", type=_number, help="new customers won during the period")
    p.set_defaults(handler=_retention)

    p = subparsers.add_parser("value", help="value of one customer and the uplift of better retention",
                              description="Value of one customer (Model A) and what better retention adds.")
    p.add_argument("margin", type=_number, help="margin per customer per period")
    p.add_argument("retention", type=_rate, help="retention per period: 0.9 or 90%%")
    _uplift_options(p)
    p.set_defaults(handler=_value)

    p = subparsers.add_parser("project", help="profit over a horizon, now and with better retention",
                              description="Customers and profit period by period (Model B).")
    p.add_argument("customers", type=_number, help="customers now")
    p.add_argument("retention", type=_rate, help="retention per period: 0.8 or 80%%")
    p.add_argument("new_customers", type=_number, help="new customers per period")
    p.add_argument("margin", type=_number, help="margin per customer per period")
    p.add_argument("--periods", type=_number, default=12, help="horizon in periods (default 12)")
    p.add_argument("--fixed-cost", type=_number, default=0.0, help="fixed cost per period")
    _uplift_options(p)
    p.set_defaults(handler=_project)

    p = subparsers.add_parser("example", help="a worked example of every number retention_xl computes")
    p.set_defaults(handler=_example)


def _uplift_options(p) -> None:
    p.add_argument("--uplift", type=_uplift, default=0.05,
                   help="improvement in retention: 0.05, 5%% or 5pts (default five points)")
    p.add_argument("--mode", choices=["points", "relative"], default="points",
                   help="points: retention + uplift (default); relative: retention x (1 + uplift)")
    p.add_argument("--discount-rate", type=_rate, default=0.0, help="discount rate per period: 0.1 or 10%%")
    p.add_argument("--acquisition-cost", type=_number, default=0.0, help="cost of winning one customer")


def _retention(args) -> int:
    import retention_xl as rx

    counts = (args.start_customers, args.end_customers, args.new_customers)
    print(f"Retention        {fmt.percent(rx.retention_rate(*counts))}")
    print(f"Churn            {fmt.percent(rx.churn_rate(*counts))}")
    print(f"Lost customers   {fmt.count_as_given(rx.lost_customers(*counts))}")
    return 0


def _value(args) -> int:
    import retention_xl as rx

    better = rx.improved_retention(args.retention, args.uplift, args.mode)
    change = rx.value_change(args.margin, args.retention, better, discount_rate=args.discount_rate,
                             acquisition_cost=args.acquisition_cost)
    print(f"Value of a customer at {fmt.percent(change.retention_now)} retention: "
          f"{fmt.money(change.value_now, decimals=2)}")
    print(f"Value at {fmt.percent(change.retention_improved)} retention:{' ' * 12}"
          f"{fmt.money(change.value_improved, decimals=2)}")
    if change.uplift is not None:
        print(f"Uplift: {fmt.percent(change.uplift, sign=True)} (illustrative: from your inputs, not a forecast)")
    else:
        print(f"Change: {fmt.money(change.difference, decimals=2, sign=True)} (today's value is not above 0, "
              "so a percentage would mean nothing)")
    return 0


def _project(args) -> int:
    import retention_xl as rx

    result = rx.project_profit(args.customers, args.retention, args.new_customers, args.margin,
                               periods=args.periods, uplift=args.uplift, mode=args.mode,
                               acquisition_cost=args.acquisition_cost, fixed_cost=args.fixed_cost,
                               discount_rate=args.discount_rate)
    print(_projection_text(result))
    return 0


def _projection_text(result) -> str:
    table = result.table
    lines = [f"{'period':>6} {'customers now':>14} {'improved':>10} {'profit now':>14} {'improved':>14}"]
    for period, row in table.iterrows():
        lines.append(f"{period:>6} {fmt.count(row.customers_baseline, 1):>14} "
                     f"{fmt.count(row.customers_improved, 1):>10} {fmt.money(row.profit_baseline):>14} "
                     f"{fmt.money(row.profit_improved):>14}")
    uplift = ("" if result.uplift is None else f", {fmt.percent(result.uplift, sign=True)}")
    lines.append(f"{result.uplift_label} of retention ({fmt.percent(result.retention_baseline)} to "
                 f"{fmt.percent(result.retention_improved)}) adds "
                 f"{fmt.money(result.total_difference)} of profit over {len(table)} periods"
                 f" (present value {fmt.money(result.pv_difference)}{uplift}).")
    return "\n".join(lines)


def _example(args) -> int:
    import retention_xl as rx

    print("107 customers at the start of the month, 120 at the end, 21 of them new:")
    print(f"  retention {fmt.percent(rx.retention_rate(107, 120, 21))}, "
          f"churn {fmt.percent(rx.churn_rate(107, 120, 21))}, "
          f"{fmt.count(rx.lost_customers(107, 120, 21))} customers lost.\n")
    print("95% kept each quarter is "
          f"{fmt.percent(rx.convert_retention(0.95, 4), 2)} a year; a customer stays "
          f"{fmt.count(rx.customer_lifetime(0.95))} quarters on average.\n")
    print("$100 margin a year, 10% discount rate, $150 to win a customer, 90% kept:")
    print(f"  a customer is worth {fmt.money(rx.customer_value(100, 0.9, 0.1, 150), decimals=2)}; "
          f"+5 points of retention makes that "
          f"{fmt.money(rx.customer_value(100, 0.95, 0.1, 150), decimals=2)} "
          f"({fmt.percent(rx.profit_uplift(100, 0.9, 0.05, 0.1, 150), sign=True)}, illustrative).\n")
    print("1,000 customers, 80% kept a year, 200 new a year at $150, $100 margin, $20,000 fixed costs:")
    print(_projection_text(rx.project_profit(1000, 0.8, 200, 100, periods=5,
                                             acquisition_cost=150, fixed_cost=20000)))
    return 0
