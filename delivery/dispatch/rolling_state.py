"""What the rolling dispatcher keeps and reports: orders, riders, decisions, plan records, config.

Times are seconds since the partition's epoch (see delivery.dispatch.rolling).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from delivery.dispatch.model import Plan, Problem, UnassignedReason
from delivery.dispatch.solver import SolverOptions
from delivery.dispatch.travel import Point


class OrderStatus(str, enum.Enum):
    OPEN = "open"  # not committed: the engine may plan it anywhere
    FIRM = "firm"  # committed to a rider, not yet picked up
    ON_BOARD = "on_board"
    DELIVERED = "delivered"
    COURIER = "courier"  # handed to the courier partner
    CANCELLED = "cancelled"


ACTIVE = (OrderStatus.OPEN, OrderStatus.FIRM, OrderStatus.ON_BOARD)


@dataclass
class OrderInfo:
    id: str
    store: Point
    drop: Point
    ready_at: float  # estimated until `mark_ready`
    deadline: float  # the promise
    created_at: float = 0.0
    pickup_service: float = 60.0
    drop_service: float = 120.0
    size: int = 1
    courier_quote: float | None = None  # cost units (metres of rider travel); None: config default
    status: OrderStatus = OrderStatus.OPEN
    rider: str | None = None  # FIRM / ON_BOARD rider
    staff_pinned: bool = False  # FIRM because staff assigned it by hand
    ready: bool = False  # staff marked it ready (ready_at is then actual)
    planned_rider: str | None = None  # latest plan's suggestion (not a commitment)
    planned_pickup: float | None = None
    planned_delivery: float | None = None
    firm_at: float | None = None
    handoff_reason: UnassignedReason | None = None
    reported: set[str] = field(default_factory=set)  # alert kinds already raised
    reassignments: int = 0
    unplanned_cycles: int = 0  # consecutive plans that left it out


@dataclass
class RiderInfo:
    id: str
    position: Point  # where the rider is, or the stop it is heading to
    shift_end: float
    capacity: int = 4
    available_at: float | None = None  # when it is free at `position` (None: now)
    accepting: bool = True
    on_shift: bool = True


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Commitment:
    order_id: str
    rider_id: str
    at: float  # when committed
    depart_by: float  # latest departure towards the pickup
    pickup_eta: float
    delivery_eta: float
    manual: bool = False


@dataclass(frozen=True)
class Handoff:
    order_id: str
    reason: UnassignedReason
    quote: float
    at: float


@dataclass(frozen=True)
class Alert:
    order_id: str | None
    kind: str  # cannot_make_promise | planned_late | firm_at_risk | released | plan_rejected
    at: float
    detail: str = ""
    minutes_late: float = 0.0


@dataclass
class PlanRecord:
    partition: str
    cycle: int
    now: float
    trigger: str  # "period" | "event" | "forced"
    status: str  # "committed" | "rejected" | "skipped" | "error"
    objective: int = 0
    build_ms: float = 0.0
    solve_ms: float = 0.0
    check_ms: float = 0.0
    total_ms: float = 0.0
    riders: int = 0
    open_orders: int = 0  # OPEN + FIRM + ON_BOARD in the partition
    free_orders: int = 0  # OPEN (decided by this cycle)
    firm_orders: int = 0
    on_board: int = 0
    subproblems: int = 0
    retries: int = 0  # solves restarted from the safe start
    committed: int = 0
    handed_off: int = 0
    late_planned: int = 0
    violations: list[str] = field(default_factory=list)


@dataclass
class CycleResult:
    record: PlanRecord
    commitments: list[Commitment] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    plan: Plan | None = None  # merged plan (suggestion for every rider), None if not committed
    checked: list[tuple[Problem, Plan]] = field(default_factory=list)  # the sub-problems and plans checked


@dataclass
class DispatcherConfig:
    period: float = 30.0  # seconds between periodic re-plans
    min_event_gap: float = 2.0  # an event re-plans at most this often
    # Re-plan soon after these events; others (ready, pickup, delivered, order
    # update) are picked up by the next periodic cycle.
    event_triggers: frozenset[str] = frozenset(
        {"start", "new_order", "rider", "rider_status", "rider_position", "release", "pin", "cancel"})
    commit_horizon: float | None = None  # None: 1.5 periods (a cycle may start late)
    time_limit: float = 1.0  # wall-clock budget of one whole cycle (build + solve + check)
    min_solve_time: float = 0.05
    solve_time_per_free_order: float = 0.005  # small cycles get less than time_limit
    insertion_candidates: int = 8  # nearest riders tried when inserting a new order into the warm start
    # Larger partitions are split by store clusters, each with its nearest riders, so
    # that no OR-Tools model exceeds these sizes (model building alone is O(nodes^2)
    # Python: ~0.75 s for 680 nodes on this 2-core machine under load).
    max_free_per_solve: int = 100
    max_nodes_per_solve: int = 260  # 2 per rider + 1 per order on board + 2 per other order
    model_seconds_per_node_sq: float = 2e-6  # floor of a sub-solve's time limit (model building)
    riders_per_cluster_slack: int = 2
    max_lateness: float = 20 * 60.0  # hard cap past the promise; beyond it: cannot make promise
    deadline_margin: float = 4 * 60.0  # plan to arrive this much before the promise (travel / prep noise)
    late_penalty_per_minute: float = 3_000.0  # cost units (metres) per minute past (promise - margin)
    courier_enabled: bool = True
    courier_quote: float = 12_000.0  # default quote, cost units (metres of rider travel)
    courier_lead: float = 10 * 60.0  # a courier must be booked this long before ready
    unready_grace: float = 60.0  # an order past its estimated ready time is assumed ready in this
    solver: Callable[[Problem, SolverOptions], Plan] | None = None  # test hook; None: solver.solve
