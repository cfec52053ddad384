"""Same-city dispatch engine: pickup-and-delivery with time windows on OR-Tools.

Plain dataclasses in, plain dataclasses out; no database or GraphQL here.
"""

from delivery.dispatch.checker import Violation, check_plan, plan_distance
from delivery.dispatch.model import (
    DispatchOrder,
    Plan,
    Problem,
    Rider,
    RiderState,
    Route,
    Stop,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from delivery.dispatch.routing_model import CostSettings
from delivery.dispatch.solver import SolverOptions, solve

__all__ = [
    "CostSettings", "DispatchOrder", "Plan", "Problem", "Rider", "RiderState", "Route", "SolverOptions",
    "Stop", "StopKind", "Unassigned", "UnassignedReason", "Violation", "check_plan", "plan_distance", "solve",
]
