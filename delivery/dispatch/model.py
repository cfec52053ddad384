"""Plain data for the dispatch engine: riders, orders, the problem and the plan.

Inside the engine every time is a plain number of seconds from an epoch the
caller chooses (typically "start of the business day" or the Unix epoch); the
caller maps them to aware datetimes.  Places are integer location indices into
the problem's distance / travel-time matrices (or arguments of its functions),
so the engine never needs to know about coordinates or road networks.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# A travel table: either a dense matrix indexed [from][to] or a function.
TravelTable = Sequence[Sequence[float]] | Callable[[int, int], float]


class RiderState(str, enum.Enum):
    ACCEPTING = "accepting"  # may receive new orders
    NOT_ACCEPTING = "not_accepting"  # paused / finishing: only delivers what is on board


class StopKind(str, enum.Enum):
    PICKUP = "pickup"
    DELIVERY = "delivery"


class UnassignedReason(str, enum.Enum):
    # The fleet could serve it, but handing it to a courier is cheaper than the
    # detour / lateness it would cost (the order's handoff penalty was paid).
    HANDED_TO_COURIER = "handed_to_courier"
    # No rider can reach the door before the hard cap (promise + tolerated
    # lateness), even with nothing else to do.  Never silently planned late.
    CANNOT_MAKE_PROMISE = "cannot_make_promise"
    # No accepting rider is allowed to take it (capacity, pin to an absent or
    # non-accepting rider).
    NO_ELIGIBLE_RIDER = "no_eligible_rider"


@dataclass(frozen=True)
class Rider:
    id: str
    position: int  # location index where the rider is (or will be) at `available_at`
    shift_end: float  # last departure from the last stop (or arrival at end_position)
    capacity: int
    speed: float = 1.0  # distance units per second; used when the problem has no travel-time table
    on_board: tuple[str, ...] = ()  # ids of orders already picked up
    state: RiderState = RiderState.ACCEPTING
    available_at: float | None = None  # None: the problem's `now`
    end_position: int | None = None  # None: open route, ends at its last drop (benchmarks: depot)


@dataclass(frozen=True)
class DispatchOrder:
    id: str
    pickup: int  # store location index
    drop: int  # customer door location index
    ready_at: float  # earliest pickup (food / basket ready)
    deadline: float  # promised delivery time (soft, up to the problem's max_lateness)
    pickup_service: float = 0.0
    drop_service: float = 0.0
    size: int = 1
    pickup_deadline: float | None = None  # hard latest pickup start (benchmarks); None: none
    drop_earliest: float | None = None  # earliest delivery start (benchmarks); None: none
    pinned_rider: str | None = None  # dispatcher's manual assignment
    handoff_cost: float | None = None  # courier quote in cost units; None: solver default


@dataclass
class Problem:
    riders: list[Rider]
    orders: list[DispatchOrder]  # includes orders on board (referenced by Rider.on_board)
    distance: TravelTable
    travel_time: TravelTable | None = None  # seconds; None: distance / rider.speed
    now: float = 0.0
    # Lateness tolerated past the promise before an order counts as "cannot make
    # promise" (hard cap = deadline + max_lateness).  0 makes promises hard.
    max_lateness: float = 0.0


@dataclass(frozen=True)
class Stop:
    order_id: str
    kind: StopKind
    location: int
    arrival: float
    start: float  # service start (after waiting for the window to open)
    departure: float


@dataclass
class Route:
    rider_id: str
    stops: list[Stop] = field(default_factory=list)
    distance: float = 0.0  # double precision, including the return to end_position if any
    end_time: float = 0.0


@dataclass(frozen=True)
class Unassigned:
    order_id: str
    reason: UnassignedReason


@dataclass
class Plan:
    routes: list[Route]  # one per rider, possibly with no stops
    unassigned: list[Unassigned] = field(default_factory=list)
    objective: int = 0  # solver's internal (scaled) objective, for diagnostics

    @property
    def vehicles_used(self) -> int:
        return sum(1 for r in self.routes if r.stops)

    @property
    def total_distance(self) -> float:
        return sum(r.distance for r in self.routes)

    def route_of(self, rider_id: str) -> Route | None:
        return next((r for r in self.routes if r.rider_id == rider_id), None)

    def lateness(self, problem: Problem) -> dict[str, float]:
        """Seconds late per delivered order (only orders that are late)."""
        deadlines = {o.id: o.deadline for o in problem.orders}
        late = {}
        for route in self.routes:
            for stop in route.stops:
                if stop.kind is StopKind.DELIVERY and stop.start > deadlines[stop.order_id]:
                    late[stop.order_id] = stop.start - deadlines[stop.order_id]
        return late


def table_lookup(table: TravelTable) -> Callable[[int, int], float]:
    """Uniform (from, to) -> value access over a matrix or a function."""
    if callable(table):
        return table
    return lambda a, b: table[a][b]
