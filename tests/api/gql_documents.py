"""GraphQL documents shared by the API tests."""

ADD_LINES = """
mutation($store: ID!, $lines: [CartLineInput!]!) {
  cartLinesAdd(input: {storeId: $store, lines: $lines}) {
    cart { lines { quantity sku { code price { amount } } } }
    errors { field code message }
  }
}"""

CHECKOUT = """
mutation($store: ID!, $type: FulfilmentType!, $address: ID, $key: String!, $slot: ID) {
  checkoutComplete(input: {storeId: $store, fulfilmentType: $type, addressId: $address, idempotencyKey: $key, slotId: $slot}) {
    order { id number status total { amount currency } subtotal { amount } deliveryFee { amount } promisedBy
            deliverySlot { kind startsAt endsAt }
            lines { productName quantity unitPrice { amount } total { amount } } }
    replayed
    errors { field code message }
  }
}"""

PAY = """
mutation($order: ID!, $key: String!) {
  orderPay(input: {orderId: $order, idempotencyKey: $key}) {
    payment { id status amount { amount } } clientPayload replayed
    errors { field code message }
  }
}"""

TRANSITION = """
mutation($order: ID!, $status: OrderStatus!) {
  orderTransition(input: {orderId: $order, status: $status}) {
    order { status events { fromStatus toStatus actorType } }
    errors { field code message }
  }
}"""

COMPLETE = """
mutation($order: ID!, $reason: String!) {
  orderComplete(input: {orderId: $order, reason: $reason}) {
    order { status events { fromStatus toStatus actorType reason } }
    errors { field code message }
  }
}"""

CANCEL = """
mutation($order: ID!) {
  orderCancel(input: {orderId: $order, reason: "changed my mind"}) {
    order { status }
    errors { field code message }
  }
}"""

REFUND = """
mutation($order: ID!) {
  orderRefund(input: {orderId: $order, reason: "damaged"}) {
    order { status }
    errors { field code message }
  }
}"""

STOCK = """
query($store: ID!, $id: ID!) {
  product(id: $id, storeId: $store) { skus { stock { quantityAvailable } price { amount } } }
}"""
