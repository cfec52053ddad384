"""Store-network pricing (issue #12 item 3): price bands around HQ's price, partner prices for a
subtree, time prices (a daily window and/or a date range), the bulk CSV import and the audit
of every price change. The price steps themselves plug into commerce.pricing, the one owner of
prices; this package only stores what they read and decides who may write it."""
