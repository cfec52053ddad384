"""Vouchers sold online and redeemed at the counter (pay X, worth Y).

A voucher product ties a catalog SKU to a face value, a validity, the stores that accept it
and single or partial use. Buying the SKU (an ordinary order) issues one voucher per unit
when the order is paid (a listener on OrderPaid); refunding the order refunds its vouchers if
none was used (a listener on OrderRefunded, which refuses the refund otherwise). Staff or a
POS redeem at an accepting store with one conditional UPDATE (two counters, one code: exactly
one wins). Every fen sits in the ledger (ledger/): sold, redeemed, expired, refunded.
Never imports strawberry.
"""
