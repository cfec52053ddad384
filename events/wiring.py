"""Start-up wiring: every domain's event listeners and ports, registered once per process.

Called from app.services.build_services (so create_app, the CLI and the test fixtures
all get it); calling it again is harmless. The imports are inside the function because this
module sits above the domains that import `events`.
"""
from __future__ import annotations


def register_listeners() -> None:
    from delivery import order_listeners
    from distribution import listeners as distribution_listeners

    order_listeners.register_listeners()
    distribution_listeners.register_listeners()
    from vouchers import service as vouchers

    vouchers.register_listeners()  # issue vouchers on payment, refund them with the order

    # membership (issue #14): auto-join, points on completion, refunds back to stored value / points
    from membership import order_payments

    order_payments.register_listeners()

    from promotions import listeners as promotion_listeners

    promotion_listeners.register_listeners()

    from reports import rollup as report_rollup

    report_rollup.register_listeners()  # per-store, per-day sales rollup (issue #12 item 6)
    from network_pricing import steps as network_pricing_steps

    network_pricing_steps.register()  # PARTNER and TIME prices (issue #12): between HQ and MEMBER
