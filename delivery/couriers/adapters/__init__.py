"""One adapter per courier partner, each in its own module with its own code table."""
from delivery.couriers.adapters.dada import DadaAdapter
from delivery.couriers.adapters.doordash import DoorDashAdapter
from delivery.couriers.adapters.fengniao import FengniaoAdapter
from delivery.couriers.adapters.lalamove import LalamoveAdapter
from delivery.couriers.adapters.meituan import MeituanAdapter
from delivery.couriers.adapters.sf import SfAdapter
from delivery.couriers.adapters.shansong import ShansongAdapter
from delivery.couriers.adapters.uber import UberAdapter
from delivery.couriers.adapters.uu import UuAdapter

ADAPTERS = {cls.name: cls for cls in (
    DadaAdapter, FengniaoAdapter, SfAdapter, ShansongAdapter, UuAdapter, UberAdapter, DoorDashAdapter, LalamoveAdapter,
    MeituanAdapter,
)}

__all__ = ["ADAPTERS"]
