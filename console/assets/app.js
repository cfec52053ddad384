/* The staff console page: sign-in, store switch, dispatch board with a live map, per-order
   actions, pickup verification and today's rider roster. Everything goes through the public
   GraphQL API (QD.gql). Live changes come from subscriptions: storeBoardEvents (every order,
   task and courier change of the store) re-reads the board, orderTracking moves riders on the
   map. The board is also re-read every BOARD_POLL_MS as a slow fallback (a missed event, a
   dead socket between reconnects). */
(function () {
  "use strict";
  var h = preact.h, render = preact.render;
  var useState = preactHooks.useState, useEffect = preactHooks.useEffect, useRef = preactHooks.useRef,
    useCallback = preactHooks.useCallback;
  var html = htm.bind(h);
  var t = function (k) { return QD.i18n.t(k); };
  var gql = QD.gql;
  // A page may lower or raise the fallback (the browser tests switch it off to prove the stream).
  var BOARD_POLL_MS = typeof window.QD_BOARD_POLL_MS === "number" ? window.QD_BOARD_POLL_MS : 15000;
  var RESUBSCRIBE_MS = 2000; // first wait after the server ended the stream (SLOW_CONSUMER, a refusal)
  var MAX_TRACKED = 25; // subscriptions per page; the board's most urgent orders

  var Q = {
    login: "mutation($u: String!, $p: String!) { staffLogin(input: {username: $u, password: $p}) { tokens { accessToken refreshToken } viewer { kind staffId roles { role nodeId } } errors { field code message } } }",
    viewer: "query { viewer { kind staffId tenant roles { role nodeId } } stores(first: 100) { edges { node { id code name district } } } }",
    nodeNames: "query($ids: [ID!]!) { nodes(ids: $ids) { ... on NetworkNode { id kind name } } }",
    store: "query($s: ID!) { store(id: $s) { id code name address deliveryRadiusMeters location(system: WGS84) { longitude latitude }\n" +
      " deliveryZones { id tier name kind radiusMeters polygon(system: WGS84) } } }",
    board: "query($s: ID!) { dispatchBoard(storeId: $s) { generatedAt\n" +
      " orders { orderId number orderStatus dispatchState promisedBy secondsLeft suggestedRiderId suggestedPickupAt suggestedDeliveryAt\n" +
      "  task { id state riderId pinned assignedBy reason }\n" +
      "  courier { id provider state riderName riderLocation(system: WGS84) { longitude latitude } }\n" +
      "  order { id fulfilmentType shippingAddress { recipient line longitude latitude } } }\n" +
      " lanes { state orders { orderId } }\n" +
      " riders { id name status capacity position { at location(system: WGS84) { longitude latitude } } route { orderId state } suggestedRoute { orderId orderNumber kind eta } }\n" +
      " suggestion { plannedAt status openOrders committed handedOff unassigned { orderId reason } } } }",
    detail: "query($o: ID!) { node(id: $o) { ... on Order { id number status fulfilmentType createdAt paidAt promisedBy events { fromStatus toStatus actorType reason createdAt } } }\n" +
      " courierDeliveries(orderId: $o) { id provider state exception riderName quote { amount } fee { amount } cancellationFee { amount } cancelledBy timeline { source partnerCode state outcome occurredAt receivedAt } } }",
    quotes: "query($o: ID!) { courierQuotes(orderId: $o) { provider fee { amount currency } etaSeconds distanceMeters overFeeCap error } }",
    dispatchNow: "mutation($o: ID!) { dispatchNow(input: {orderId: $o}) { task { state riderId pinned } errors { field code message } } }",
    assign: "mutation($o: ID!, $r: ID!) { dispatchAssign(input: {orderId: $o, riderId: $r}) { task { state riderId pinned } errors { field code message } } }",
    unassign: "mutation($o: ID!) { dispatchUnassign(input: {orderId: $o}) { task { state riderId } errors { field code message } } }",
    courierCall: "mutation($o: ID!, $p: CourierProvider) { courierCall(input: {orderId: $o, provider: $p}) { delivery { id provider state quote { amount } } errors { field code message } } }",
    courierCancel: "mutation($d: ID!, $r: String!) { courierCancel(input: {deliveryId: $d, reason: $r}) { delivery { id state cancelledBy } errors { field code message } } }",
    awaiting: "query($s: ID!) { orders(storeId: $s, status: AWAITING_PICKUP, first: 50) { edges { node { id number createdAt total { amount } } } } }",
    verify: "mutation($i: PickupCodeVerifyInput!) { pickupCodeVerify(input: $i) { order { id number status } errors { field code message } } }",
    roster: "query($s: ID!, $from: DateTime!) { riders(storeId: $s, first: 100) { edges { node { id name mobile status capacity vehicle } } }\n" +
      " riderShifts(storeId: $s, from: $from, days: 1) { id riderId startsAt endsAt } }",
    storeEvents: "subscription($s: ID!) { storeBoardEvents(storeId: $s) { kind orderId orderNumber orderStatus taskState at } }",
    track: "subscription($o: ID!) { orderTracking(orderId: $o, system: WGS84) { kind orderId orderStatus taskState riderId at position { longitude latitude } } }",
  };

  function yuan(amount) { return amount == null ? "—" : "¥" + amount; } // Money.amount is a decimal string in yuan
  function clock(iso) { if (!iso) return "—"; var d = new Date(iso); return d.toLocaleTimeString(QD.i18n.lang() === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" }); }
  function mmss(sec) {
    var s = Math.abs(sec), m = Math.floor(s / 60), sign = sec < 0 ? "-" : "";
    if (m >= 60) return sign + Math.floor(m / 60) + "h" + String(m % 60).padStart(2, "0") + "m"; // a window hours away
    return sign + m + ":" + String(s % 60).padStart(2, "0");
  }
  /* The promise colour: plenty of time, getting close, nearly out, late. */
  function urgency(sec) { return sec == null ? "ok" : sec < 0 ? "late" : sec < 300 ? "urgent" : sec < 900 ? "warn" : "ok"; }

  function Errors(props) {
    if (!props.errors || !props.errors.length) return null;
    return html`<div class="errors" role="alert" data-testid="errors">${props.errors.map(function (e) { return html`<div class="error-line">${QD.i18n.error(e)}</div>`; })}</div>`;
  }

  function SignIn(props) {
    var s = useState({ tenant: "qianxian", username: "", password: "" }), form = s[0], setForm = s[1];
    var e = useState([]), errors = e[0], setErrors = e[1];
    var b = useState(false), busy = b[0], setBusy = b[1];
    function field(k) { return function (ev) { var n = Object.assign({}, form); n[k] = ev.target.value; setForm(n); }; }
    async function submit(ev) {
      ev.preventDefault(); setBusy(true); setErrors([]);
      gql.setSession({ tenant: form.tenant.trim() });
      var r = await gql.mutate(Q.login, { u: form.username.trim(), p: form.password }, "staffLogin");
      setBusy(false);
      if (r.errors.length || !r.payload || !r.payload.tokens) { gql.setSession(null); setErrors(r.errors.length ? r.errors : [{ code: "ERROR", message: "" }]); return; }
      gql.setSession({ tenant: form.tenant.trim(), username: form.username.trim(), access: r.payload.tokens.accessToken, refresh: r.payload.tokens.refreshToken });
      props.onSignedIn();
    }
    return html`<div class="signin">
      <form onSubmit=${submit} class="card" data-testid="signin">
        <h1>千店 · ${t("title")}</h1>
        <label>${t("tenant")}<input name="tenant" value=${form.tenant} onInput=${field("tenant")} autocomplete="organization" /></label>
        <label>${t("username")}<input name="username" value=${form.username} onInput=${field("username")} autocomplete="username" autofocus /></label>
        <label>${t("password")}<input name="password" type="password" value=${form.password} onInput=${field("password")} autocomplete="current-password" /></label>
        ${props.ended && !errors.length ? html`<p class="errors" role="status" data-testid="session-ended">${t("sessionEnded")}</p>` : null}
        <${Errors} errors=${errors} />
        <button type="submit" class="primary" disabled=${busy}>${t("signIn")}</button>
        <button type="button" class="link" onClick=${props.toggleLang}>${t("lang")}</button>
      </form></div>`;
  }

  /* The stores this staff member may dispatch: a store role's own store (its network node is
     named like the store), every store for HQ, and for a partner admin the stores whose board
     the API answers (null means not theirs). */
  async function myStores() {
    var body = await gql.request(Q.viewer);
    if (!body.data) return { error: body.errors };
    var all = body.data.stores.edges.map(function (e) { return e.node; });
    var roles = body.data.viewer.roles || [];
    if (roles.some(function (r) { return r.role === "HQ_ADMIN"; })) return { stores: all, roles: roles };
    var storeRoles = roles.filter(function (r) { return r.role === "STORE_MANAGER" || r.role === "STORE_STAFF"; });
    var own = [];
    if (storeRoles.length) {
      var nodes = await gql.request(Q.nodeNames, { ids: storeRoles.map(function (r) { return r.nodeId; }) });
      var names = ((nodes.data && nodes.data.nodes) || []).filter(Boolean).map(function (n) { return n.name; });
      own = all.filter(function (s) { return names.indexOf(s.name) >= 0; });
    }
    if (roles.some(function (r) { return r.role === "PARTNER_ADMIN"; })) {
      for (var i = 0; i < all.length; i += 20) {
        var chunk = all.slice(i, i + 20);
        var doc = "query(" + chunk.map(function (_, j) { return "$s" + j + ": ID!"; }).join(", ") + ") { " +
          chunk.map(function (_, j) { return "b" + j + ": dispatchBoard(storeId: $s" + j + ") { storeId }"; }).join(" ") + " }";
        var vars = {}; chunk.forEach(function (s, j) { vars["s" + j] = s.id; });
        var probe = await gql.request(doc, vars);
        chunk.forEach(function (s, j) { if (probe.data && probe.data["b" + j] && own.indexOf(s) < 0) own.push(s); });
      }
    }
    return { stores: own, roles: roles };
  }

  function Console(props) {
    var st = useState(null), stores = st[0], setStores = st[1];
    var cur = useState(null), storeId = cur[0], setStoreId = cur[1];
    var tb = useState("board"), tab = tb[0], setTab = tb[1];
    var er = useState([]), errors = er[0], setErrors = er[1];
    useEffect(function () {
      myStores().then(function (r) {
        if (r.error) { setErrors(r.error.map(function (e) { return { code: (e.extensions && e.extensions.code) || "ERROR", message: e.message }; })); return; }
        setStores(r.stores);
        var saved = sessionStorage.getItem("qd.console.store");
        var pick = r.stores.filter(function (s) { return s.id === saved; })[0] || r.stores[0];
        if (pick) setStoreId(pick.id);
      });
    }, []);
    function choose(ev) { setStoreId(ev.target.value); sessionStorage.setItem("qd.console.store", ev.target.value); }
    var session = gql.session() || {};
    return html`<div class="console">
      <header>
        <strong class="brand">千店 · ${t("title")}</strong>
        <label class="store-pick">${t("store")}
          <select data-testid="store-picker" value=${storeId || ""} onChange=${choose} disabled=${!stores || stores.length < 2}>
            ${(stores || []).map(function (s) { return html`<option value=${s.id}>${s.name} (${s.code})</option>`; })}
          </select></label>
        <nav>
          ${["board", "pickup", "roster"].map(function (k) { return html`<button class=${"tab" + (tab === k ? " active" : "")} data-tab=${k} onClick=${function () { setTab(k); }}>${t(k)}</button>`; })}
        </nav>
        <span class="who">${session.username || ""}</span>
        <button onClick=${props.toggleLang}>${t("lang")}</button>
        <button onClick=${props.onSignOut}>${t("signOut")}</button>
      </header>
      <${Errors} errors=${errors} />
      ${stores && !stores.length ? html`<p class="empty">${t("noAccess")}</p>` : null}
      ${storeId && tab === "board" ? html`<${Board} key=${storeId} storeId=${storeId} />` : null}
      ${storeId && tab === "pickup" ? html`<${Pickup} key=${storeId} storeId=${storeId} />` : null}
      ${storeId && tab === "roster" ? html`<${Roster} key=${storeId} storeId=${storeId} />` : null}
    </div>`;
  }

  function Board(props) {
    var storeId = props.storeId;
    var b = useState(null), board = b[0], setBoard = b[1];
    var s = useState(null), store = s[0], setStore = s[1];
    var sel = useState(null), selected = sel[0], setSelected = sel[1];
    var er = useState([]), errors = er[0], setErrors = er[1];
    var nowS = useState(Date.now()), now = nowS[0], setNow = nowS[1];
    var live = useRef({ riders: {}, couriers: {} }); // positions from the subscriptions, newer than the board's
    var liveTick = useState(0), setLiveTick = liveTick[1];
    var fetchedAt = useRef(Date.now());
    var subs = useRef(null), tracked = useRef({});
    var mapEl = useRef(null), mapObj = useRef(null);

    var loading = useRef(null), again = useRef(false);

    // One board read at a time: events come in bursts (placed, paid, assigned), and a read
    // asked for meanwhile runs once more after the current one, so the last event is reflected.
    var load = useCallback(async function () {
      if (loading.current) { again.current = true; return loading.current; }
      loading.current = (async function () {
        do {
          again.current = false;
          var body = await gql.request(Q.board, { s: storeId });
          if (body.errors) { setErrors(body.errors.map(function (e) { return { code: (e.extensions && e.extensions.code) || "ERROR", message: e.message }; })); continue; }
          if (!body.data.dispatchBoard) { setErrors([{ code: "PERMISSION_DENIED", message: t("noAccess") }]); continue; }
          fetchedAt.current = Date.now();
          setErrors([]);
          setBoard(body.data.dispatchBoard);
        } while (again.current);
      })().finally(function () { loading.current = null; });
      return loading.current;
    }, [storeId]);

    useEffect(function () {
      gql.request(Q.store, { s: storeId }).then(function (body) { if (body.data) setStore(body.data.store); });
      load();
      var poll = BOARD_POLL_MS > 0 ? setInterval(load, BOARD_POLL_MS) : null;
      var tick = setInterval(function () { setNow(Date.now()); }, 1000);
      subs.current = new gql.Subscriptions();
      // The store's stream: its SNAPSHOT (first, and again after every reconnect) and each
      // event re-read the board. If the server ends it, subscribe again shortly.
      var stop = null, retry = null, closed = false, delay = RESUBSCRIBE_MS;
      function follow() {
        stop = subs.current.subscribe(Q.storeEvents, { s: storeId }, function (payload) {
          if (payload.data && payload.data.storeBoardEvents) { delay = RESUBSCRIBE_MS; load(); }
        }, function () { // ended by the server: again, later each time it keeps ending (a refusal)
          if (closed) return;
          retry = setTimeout(function () { load(); follow(); }, delay);
          delay = Math.min(delay * 2, 60000);
        });
      }
      follow();
      return function () {
        closed = true; clearTimeout(retry); if (stop) stop();
        if (poll) clearInterval(poll);
        clearInterval(tick); subs.current.close(); tracked.current = {};
      };
    }, [storeId]);

    // One orderTracking stream per order on the board: rider and courier positions move the
    // map at once (status changes reach the board through storeBoardEvents).
    useEffect(function () {
      if (!board) return;
      var want = {};
      board.orders.slice(0, MAX_TRACKED).forEach(function (o) { want[o.orderId] = true; });
      Object.keys(tracked.current).forEach(function (id) { if (!want[id]) { tracked.current[id](); delete tracked.current[id]; } });
      Object.keys(want).forEach(function (id) {
        if (tracked.current[id]) return;
        tracked.current[id] = subs.current.subscribe(Q.track, { o: id }, function (payload) {
          var ev = payload.data && payload.data.orderTracking;
          if (!ev) return;
          if (ev.position) {
            var p = { lat: ev.position.latitude, lon: ev.position.longitude, at: ev.at };
            if (ev.riderId) live.current.riders[ev.riderId] = p; else live.current.couriers[ev.orderId] = p;
            setLiveTick(function (n) { return n + 1; });
          }
        }, function () { delete tracked.current[id]; });
      });
    }, [board]);

    useEffect(function () {
      if (!mapEl.current || mapObj.current) return;
      mapObj.current = new QD.StoreMap(mapEl.current);
      return function () { mapObj.current.remove(); mapObj.current = null; };
    }, [mapEl.current]);

    var elapsed = Math.floor((now - fetchedAt.current) / 1000);
    function left(o) { return o.secondsLeft == null ? null : o.secondsLeft - elapsed; }

    useEffect(function () {
      var m = mapObj.current;
      if (!m) return;
      if (store) m.setStore(store);
      if (!board) return;
      var riders = [];
      board.riders.forEach(function (r, i) {
        var p = live.current.riders[r.id];
        if (!p && r.position) p = { lat: r.position.location.latitude, lon: r.position.location.longitude };
        var name = r.name + " · " + QD.i18n.sub("riderStatus", r.status);
        if (!p && store) { // no fix reported yet: drawn beside the store, fanned out so each label shows
          p = { lat: store.location.latitude - 0.004 * (i + 1), lon: store.location.longitude - 0.003 };
        }
        if (p) riders.push({ id: r.id, name: name, lat: p.lat, lon: p.lon, own: true, route: r.route.map(function (x) { return x.orderId; }) });
      });
      var drops = [];
      board.orders.forEach(function (o) {
        var c = live.current.couriers[o.orderId];
        if (!c && o.courier && o.courier.riderLocation) c = { lat: o.courier.riderLocation.latitude, lon: o.courier.riderLocation.longitude };
        if (c) riders.push({ id: "c" + o.orderId, name: (o.courier ? o.courier.provider + " " + (o.courier.riderName || "") : t("courier")), lat: c.lat, lon: c.lon, own: false });
        var a = o.order && o.order.shippingAddress;
        if (a) drops.push({ orderId: o.orderId, number: o.number, lat: a.latitude, lon: a.longitude, urgency: urgency(left(o)) });
      });
      m.update(riders, drops);
    }, [board, store, liveTick[0]]);

    var riderName = {};
    (board ? board.riders : []).forEach(function (r) { riderName[r.id] = r.name; });
    var byId = {};
    (board ? board.orders : []).forEach(function (o) { byId[o.orderId] = o; });
    var current = selected && byId[selected];

    return html`<div class="board">
      <section class="queue" data-testid="queue">
        <h2>${t("queue")} ${board ? html`<span class="count">${board.orders.length}</span>` : null}</h2>
        <${Errors} errors=${errors} />
        ${board && !board.orders.length ? html`<p class="empty">${t("noOrders")}</p>` : null}
        ${board ? board.lanes.filter(function (l) { return l.orders.length; }).map(function (lane) {
          return html`<div class="lane" data-lane=${lane.state}>
            <h3>${QD.i18n.sub("lanes", lane.state)} <span class="count">${lane.orders.length}</span></h3>
            ${lane.orders.map(function (ref) {
              var o = byId[ref.orderId]; if (!o) return null;
              var sec = left(o), u = urgency(sec);
              return html`<button class=${"order-card " + u + (selected === o.orderId ? " selected" : "")} data-order=${o.number} data-testid="order-card"
                  onClick=${function () { setSelected(o.orderId); }}>
                <span class="num">${o.number}</span>
                <span class="time" title=${t("promised") + " " + clock(o.promisedBy)}>${sec == null ? "—" : sec < 0 ? mmss(sec) + " " + t("late") : mmss(sec) + " " + t("left")}</span>
                <span class="meta">${o.order && o.order.shippingAddress ? o.order.shippingAddress.line : ""}</span>
                <span class="meta">${o.task && o.task.riderId ? t("own") + " " + (riderName[o.task.riderId] || "") : o.courier ? t("courier") + " " + o.courier.provider + " · " + o.courier.state : ""}</span>
              </button>`;
            })}
          </div>`;
        }) : html`<p>${t("loading")}</p>`}
        ${board && board.suggestion ? html`<p class="suggestion-line">${t("suggestion")}: ${clock(board.suggestion.plannedAt)} · ${board.suggestion.status} · ${board.suggestion.committed}/${board.suggestion.openOrders}</p>` : null}
      </section>
      <section class="side">
        <div class="map" ref=${mapEl} data-testid="map"></div>
        ${current ? html`<${OrderPanel} key=${current.orderId} o=${current} riders=${board.riders} riderName=${riderName} reload=${load} close=${function () { setSelected(null); }} />`
          : html`<p class="hint">${t("selectOrder")}</p>`}
      </section>
    </div>`;
  }

  function OrderPanel(props) {
    var o = props.o;
    var d = useState(null), detail = d[0], setDetail = d[1];
    var q = useState(null), quotes = q[0], setQuotes = q[1];
    var er = useState([]), errors = er[0], setErrors = er[1];
    var rr = useState(""), rider = rr[0], setRider = rr[1];
    var bz = useState(false), busy = bz[0], setBusy = bz[1];
    async function loadDetail() {
      var body = await gql.request(Q.detail, { o: o.orderId });
      if (body.data) setDetail(body.data);
    }
    useEffect(function () { loadDetail(); }, [o.orderId, o.dispatchState, o.task && o.task.state, o.courier && o.courier.state]);
    async function act(doc, vars, field) {
      setBusy(true); setErrors([]);
      var r = await gql.mutate(doc, vars, field);
      setBusy(false);
      if (r.errors.length) setErrors(r.errors);
      await props.reload(); await loadDetail();
      return r;
    }
    async function getQuotes() {
      setErrors([]);
      var body = await gql.request(Q.quotes, { o: o.orderId });
      if (body.errors) setErrors(body.errors.map(function (e) { return { code: (e.extensions && e.extensions.code) || "ERROR", message: e.message }; }));
      else setQuotes(body.data.courierQuotes);
    }
    var deliveries = (detail && detail.courierDeliveries) || [];
    var active = deliveries.filter(function (x) { return ["DELIVERED", "CANCELLED", "EXPIRED", "CREATE_FAILED", "RETURNED"].indexOf(x.state) < 0; })[0];
    var order = detail && detail.node;
    return html`<div class="panel" data-testid="order-panel">
      <div class="panel-head"><h2>${t("order")} ${o.number}</h2><span class=${"pill " + urgency(o.secondsLeft)}>${QD.i18n.sub("lanes", o.dispatchState)}</span>
        <button class="link" onClick=${props.close}>${t("close")}</button></div>
      <p>${t("orderStatus")}: <b data-testid="order-status">${o.orderStatus}</b> · ${t("promised")} ${clock(o.promisedBy)}
        ${o.task ? html` · ${t("task")}: <b data-testid="task-state">${o.task.state}</b> ${o.task.riderId ? " · " + (props.riderName[o.task.riderId] || "") : ""}${o.task.pinned ? html` <span class="pill pinned" data-testid="pinned">${t("pinned")}</span>` : null}` : null}</p>
      <p class="suggestion">${t("suggestion")}: ${o.suggestedRiderId ? t("suggestedRider") + " " + (props.riderName[o.suggestedRiderId] || o.suggestedRiderId) + " · " + clock(o.suggestedDeliveryAt) : t("none")}</p>
      <${Errors} errors=${errors} />
      <div class="actions">
        <button class="primary" disabled=${busy} data-action="dispatch-now" onClick=${function () { act(Q.dispatchNow, { o: o.orderId }, "dispatchNow"); }}>${t("dispatchNow")}</button>
        <select value=${rider} onChange=${function (e) { setRider(e.target.value); }} data-testid="rider-select">
          <option value="">${t("chooseRider")}</option>
          ${props.riders.map(function (r) { return html`<option value=${r.id}>${r.name} · ${QD.i18n.sub("riderStatus", r.status)}</option>`; })}
        </select>
        <button disabled=${busy || !rider} data-action="assign" onClick=${function () { act(Q.assign, { o: o.orderId, r: rider }, "dispatchAssign"); }}>${t("assign")}</button>
        <button disabled=${busy || !o.task} data-action="unassign" onClick=${function () { act(Q.unassign, { o: o.orderId }, "dispatchUnassign"); }}>${t("unassign")}</button>
      </div>
      <div class="courier">
        <h3>${t("callCourier")}</h3>
        <div class="actions">
          <button disabled=${busy} data-action="quotes" onClick=${getQuotes}>${t("getQuotes")}</button>
          ${active ? html`<button class="danger" disabled=${busy} data-action="cancel-courier" onClick=${function () { act(Q.courierCancel, { d: active.id, r: "cancelled from the staff console" }, "courierCancel"); }}>${t("cancelCourier")} (${active.provider})</button>` : null}
        </div>
        ${quotes ? html`<table class="quotes" data-testid="quotes"><thead><tr><th>${t("provider")}</th><th>${t("fee")}</th><th>${t("eta")}</th><th>${t("distance")}</th><th></th></tr></thead><tbody>
          ${quotes.map(function (x) { return html`<tr data-provider=${x.provider}><td>${x.provider}</td><td>${x.fee ? yuan(x.fee.amount) : "—"}${x.overFeeCap ? " (" + t("overFeeCap") + ")" : ""}</td>
            <td>${x.etaSeconds != null ? Math.round(x.etaSeconds / 60) + " min" : "—"}</td><td>${x.distanceMeters != null ? (x.distanceMeters / 1000).toFixed(1) + " km" : x.error || "—"}</td>
            <td><button disabled=${busy || !!x.error} data-action="call" onClick=${function () { act(Q.courierCall, { o: o.orderId, p: x.provider }, "courierCall").then(function (r) { if (!r.errors.length) setQuotes(null); }); }}>${t("call")}</button></td></tr>`; })}
        </tbody></table>` : null}
      </div>
      <div class="timeline" data-testid="timeline">
        <h3>${t("timeline")}</h3>
        <ol>
          ${order ? order.events.map(function (e) { return html`<li><time>${clock(e.createdAt)}</time> ${e.fromStatus || "·"} → ${e.toStatus} <small>${e.actorType}${e.reason ? " · " + e.reason : ""}</small></li>`; }) : null}
          ${deliveries.map(function (dl) { return dl.timeline.map(function (e) { return html`<li class="courier-event"><time>${clock(e.occurredAt || e.receivedAt)}</time> ${t("courier")} ${dl.provider} ${e.state || e.partnerCode} <small>${e.source} · ${e.outcome}</small></li>`; }); })}
        </ol>
      </div>
    </div>`;
  }

  function Pickup(props) {
    var a = useState([]), orders = a[0], setOrders = a[1];
    var m = useState("code"), mode = m[0], setMode = m[1];
    var f = useState({ orderId: "", code: "", qr: "" }), form = f[0], setForm = f[1];
    var er = useState([]), errors = er[0], setErrors = er[1];
    var ok = useState(null), done = ok[0], setDone = ok[1];
    async function load() {
      var body = await gql.request(Q.awaiting, { s: props.storeId });
      if (body.data) setOrders(body.data.orders.edges.map(function (e) { return e.node; }));
    }
    useEffect(function () { load(); var i = setInterval(load, 3000); return function () { clearInterval(i); }; }, [props.storeId]);
    function field(k) { return function (ev) { var n = Object.assign({}, form); n[k] = ev.target.value; setForm(n); }; }
    async function submit(ev) {
      ev.preventDefault(); setErrors([]); setDone(null);
      var input = { storeId: props.storeId };
      if (mode === "code") { input.orderId = form.orderId; input.code = form.code.trim(); } else { input.qrPayload = form.qr.trim(); }
      var r = await gql.mutate(Q.verify, { i: input }, "pickupCodeVerify");
      if (r.errors.length) { setErrors(r.errors); return; }
      setDone(r.payload.order); setForm({ orderId: "", code: "", qr: "" }); load();
    }
    return html`<div class="pickup">
      <form class="card" onSubmit=${submit} data-testid="pickup-form">
        <h2>${t("pickup")}</h2>
        <div class="seg"><button type="button" class=${mode === "code" ? "active" : ""} onClick=${function () { setMode("code"); }}>${t("byCode")}</button>
          <button type="button" class=${mode === "qr" ? "active" : ""} onClick=${function () { setMode("qr"); }}>${t("byQr")}</button></div>
        ${mode === "code" ? html`
          <label>${t("order")}<select name="order" value=${form.orderId} onChange=${field("orderId")}>
            <option value="">—</option>${orders.map(function (o) { return html`<option value=${o.id}>${o.number} · ${yuan(o.total.amount)}</option>`; })}</select></label>
          <label>${t("code")}<input name="code" inputmode="numeric" maxlength="6" value=${form.code} onInput=${field("code")} /></label>`
        : html`<label>${t("qr")}<textarea name="qr" rows="3" value=${form.qr} onInput=${field("qr")}></textarea></label>`}
        <${Errors} errors=${errors} />
        ${done ? html`<p class="success" data-testid="pickup-done">${t("verified")}: ${done.number} · ${done.status}</p>` : null}
        <button type="submit" class="primary">${t("verify")}</button>
      </form>
      <div class="card"><h3>${t("awaiting")} <span class="count">${orders.length}</span></h3>
        <ul class="plain">${orders.map(function (o) { return html`<li>${o.number} · ${clock(o.createdAt)}</li>`; })}</ul></div>
    </div>`;
  }

  function Roster(props) {
    var d = useState(null), data = d[0], setData = d[1];
    useEffect(function () {
      var from = new Date(); from.setHours(0, 0, 0, 0);
      gql.request(Q.roster, { s: props.storeId, from: from.toISOString() }).then(function (body) { if (body.data) setData(body.data); });
    }, [props.storeId]);
    if (!data) return html`<p>${t("loading")}</p>`;
    var shifts = {};
    data.riderShifts.forEach(function (s) { (shifts[s.riderId] = shifts[s.riderId] || []).push(s); });
    return html`<div class="roster card" data-testid="roster"><h2>${t("roster")}</h2>
      <table><thead><tr><th>${t("riders")}</th><th>${t("status")}</th><th>${t("capacity")}</th><th>${t("shift")}</th></tr></thead><tbody>
      ${data.riders.edges.map(function (e) { var r = e.node; return html`<tr><td>${r.name}<br/><small>${r.mobile}</small></td><td>${QD.i18n.sub("riderStatus", r.status)}</td><td>${r.capacity}</td>
        <td>${(shifts[r.id] || []).map(function (s) { return html`<div>${clock(s.startsAt)}–${clock(s.endsAt)}</div>`; })}${shifts[r.id] ? null : t("noShifts")}</td></tr>`; })}
      </tbody></table></div>`;
  }

  function App() {
    var s = useState(!!(gql.session() && gql.session().access)), signedIn = s[0], setSignedIn = s[1];
    var l = useState(QD.i18n.lang()), setLang = l[1];
    var e = useState(false), ended = e[0], setEnded = e[1];
    useEffect(function () {
      function onEnded() { setEnded(true); setSignedIn(false); }
      window.addEventListener("qd-session-ended", onEnded);
      return function () { window.removeEventListener("qd-session-ended", onEnded); };
    }, []);
    function toggleLang() { QD.i18n.setLang(QD.i18n.lang() === "zh" ? "en" : "zh"); setLang(QD.i18n.lang()); }
    async function signOut() {
      await gql.request("mutation { logout(input: {}) { errors { code } } }").catch(function () {});
      gql.setSession(null); sessionStorage.removeItem("qd.console.store"); setSignedIn(false);
    }
    return signedIn ? html`<${Console} toggleLang=${toggleLang} onSignOut=${signOut} />`
      : html`<${SignIn} toggleLang=${toggleLang} ended=${ended} onSignedIn=${function () { setEnded(false); setSignedIn(true); }} />`;
  }

  document.title = "千店 · " + t("title");
  var root = document.getElementById("app");
  root.textContent = ""; // drop the static "loading" line: preact appends to what it did not render
  render(html`<${App} />`, root);
})();
