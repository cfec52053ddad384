"""After-sales: customers ask for a refund or a return of some lines (or some quantity / weight),
staff approve, partially approve or reject, and the approved money goes back through the
original provider as a partial refund (payments.refunds). Receipt confirmation, by the
customer or automatically after a configurable time."""
