"""Start-up wiring: every domain's event listeners and ports, registered once per process.

Called from app.services.build_services (so create_app, the CLI and the test fixtures
all get it); calling it again is harmless. The imports are inside the function because this
module sits above the domains that import `events`.
"""
from __future__ import annotations


def register_listeners() -> None:
    from delivery import order_listeners

    order_listeners.register_listeners()

    from promotions import listeners as promotion_listeners

    promotion_listeners.register_listeners()
