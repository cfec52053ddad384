import base64, json
from resolvers.ids import encode

async def _raw(client, world, q, v=None, token=None):
    h = {"X-Tenant": world.slug}
    if token: h["Authorization"] = "Bearer " + token
    r = await client.post("/graphql", json={"query": q, "variables": v or {}}, headers=h)
    return r.status_code, r.text[:600]

async def test_probe(client, world, backend):
    hq = world.staff_token("hq")
    cur = lambda vals: base64.urlsafe_b64encode(json.dumps(vals).encode()).decode()
    for q, v, t in [
        ('{ node(id: "%s") { id } }' % encode("Store", "abc"), None, None),
        ('{ node(id: "%s") { id } }' % encode("Store", "99999999999999999999"), None, None),
        ('{ node(id: "%s") { id } }' % encode("Nope", "1"), None, None),
        ('{ node(id: "%s") { id } }' % encode("Cart", "1"), None, None),
        ('{ node(id: "garbage!!") { id } }', None, None),
        ('{ store(id: "%s") { id } }' % encode("Product", "1"), None, None),
        ('{ orders(after: "%s") { nodes { id } } }' % cur(["abc"]), None, hq),
        ('{ orders(after: "%s") { nodes { id } } }' % cur([10**20]), None, hq),
        ('{ orders(after: "!!!") { nodes { id } } }', None, hq),
        ('{ products(after: "%s") { nodes { id } } }' % cur(["x", "y"]), None, None),
        ('{ stores(after: "%s") { nodes { id } } }' % cur([1, 2]), None, None),
        ('{ products(first: 101) { nodes { id } } }', None, None),
        ('{ products(first: 2147483648) { nodes { id } } }', None, None),
        ('mutation { storePriceSet(input: {storeId: "%s", skuId: "%s", price: "1e30"}) { price { amount } errors { code } } }' % (world.store("a"), world.sku("milk")), None, hq),
        ('{ a: x { b { c { d { e { f { g { h { i { j { k { l { m { n } } } } } } } } } } } } } }', None, None),
    ]:
        print(backend, q[:90], "\n   ->", await _raw(client, world, q, v, t))
    r = await client.post("/graphql", content=b'{"query": ', headers={"content-type": "application/json"})
    print("badjson", r.status_code, r.text[:200])
    r = await client.post("/graphql", json={"query": "{ viewer { kind } }", "pad": "x" * 300000})
    print("big", r.status_code, r.text[:200])
