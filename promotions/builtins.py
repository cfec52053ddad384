"""The built-in condition and action types (registered on import)."""
from __future__ import annotations

from promotions.registry import ActionType, ArgSpec, ArgType, ConditionType, Level, register_action, register_condition


def _miss(reason: str, missing: int | None = None):
    from promotions.engine import Miss

    return Miss(reason, missing)


def _min_subtotal(args, state):
    have = state.eligible_subtotal
    return None if have >= args["amount"] else _miss("spend threshold not reached", args["amount"] - have)


def _min_quantity(args, state):
    count = sum(state.lines[i].quantity if state.lines[i].by_unit else 1 for i in state.eligible)
    return None if count >= args["quantity"] else _miss(f"buy at least {args['quantity']} items")


def _first_order(args, state):
    return None if state.facts.first_order else _miss("only for a customer's first order")


def _new_customer(args, state):
    age = state.facts.account_age_days
    return None if age is not None and age <= args["days"] else _miss(f"only for customers who joined in the last {args['days']} days")


register_condition(ConditionType("min_subtotal", "Eligible items cost at least `amount`.", (ArgSpec("amount", ArgType.MONEY),), _min_subtotal))
register_condition(ConditionType("min_quantity", "At least `quantity` eligible items.", (ArgSpec("quantity", ArgType.INT, minimum=1, maximum=10**6),), _min_quantity))
register_condition(ConditionType("first_order", "The customer has no earlier (uncancelled) order.", (), _first_order))
register_condition(ConditionType("new_customer", "The customer signed up at most `days` ago.", (ArgSpec("days", ArgType.INT, minimum=0, maximum=3650),), _new_customer))


def _amount_off(args, state):
    return state.spread(args["amount"])


def _percent_off(args, state):
    amount = state.eligible_subtotal * args["percent"] // 100
    if "max" in args:
        amount = min(amount, args["max"])
    return state.spread(amount)


def _percent_estimate(args, subtotal):
    amount = subtotal * args["percent"] // 100
    return min(amount, args["max"]) if "max" in args else amount


def _tier(args, subtotal):
    reached = [off for spend, off in args["tiers"] if spend <= subtotal]
    return reached[-1] if reached else 0


def _tiered(args, state):
    return state.spread(_tier(args, state.eligible_subtotal))


def _unit_lines(state):
    return [i for i in state.eligible if state.lines[i].by_unit]


def _buy_x_get_y(args, state):
    """Of every buy+get eligible units, the `get` cheapest are free (cheapest units overall)."""
    units = _unit_lines(state)
    free = sum(state.lines[i].quantity for i in units) // (args["buy"] + args["get"]) * args["get"]
    out = {}
    for i in sorted(units, key=lambda i: (state.lines[i].unit_price_fen, i)):
        if free <= 0:
            break
        take = min(free, state.lines[i].quantity)
        free -= take
        out[i] = min(take * state.lines[i].unit_price_fen, state.net[i])
    return out


def _nth_item(args, state):
    """Every n-th unit of each eligible line at `percent` off (second item half price: n=2, 50)."""
    out = {}
    for i in _unit_lines(state):
        line = state.lines[i]
        out[i] = min(line.quantity // args["n"] * line.unit_price_fen * args["percent"] // 100, state.net[i])
    return out


def _line_percent(args, state):
    return {i: state.net[i] * args["percent"] // 100 for i in state.eligible}


def _free_delivery(args, state):
    from promotions.engine import SHIPPING

    return {SHIPPING: state.fee}


MONEY = ArgType.MONEY
register_action(ActionType("amount_off", "满减: `amount` off the eligible items.", (ArgSpec("amount", MONEY, minimum=1),), Level.ORDER, _amount_off, lambda a, s: min(a["amount"], s)))
register_action(ActionType(
    "percent_off", "满折: `percent` off the eligible items, at most `max`.",
    (ArgSpec("percent", ArgType.PERCENT), ArgSpec("max", MONEY, required=False, minimum=1)), Level.ORDER, _percent_off, _percent_estimate,
))
register_action(ActionType("tiered_amount_off", "Tiered 满减: the highest tier reached.", (ArgSpec("tiers", ArgType.TIERS),), Level.ORDER, _tiered, _tier))
register_action(ActionType(
    "buy_x_get_y", "Buy `buy`, get `get` free (the cheapest eligible units).",
    (ArgSpec("buy", ArgType.INT, minimum=1, maximum=1000), ArgSpec("get", ArgType.INT, minimum=1, maximum=1000)), Level.LINE, _buy_x_get_y,
))
register_action(ActionType(
    "nth_item_percent", "Every `n`-th unit of a line at `percent` off.",
    (ArgSpec("n", ArgType.INT, minimum=2, maximum=1000), ArgSpec("percent", ArgType.PERCENT)), Level.LINE, _nth_item,
))
register_action(ActionType("line_percent", "`percent` off each eligible line (new-customer price).", (ArgSpec("percent", ArgType.PERCENT),), Level.LINE, _line_percent))
register_action(ActionType("free_delivery", "The delivery fee is waived.", (), Level.SHIPPING, _free_delivery))
