/* The console's only way to the server: POST /graphql and the graphql-transport-ws
   protocol on the /graphql websocket. The session (tenant slug and tokens) lives in
   sessionStorage: it ends with the tab, and no cookie is ever sent. */
(function () {
  "use strict";
  var KEY = "qd.console.session";

  function loadSession() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function saveSession(s) {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s)); else sessionStorage.removeItem(KEY);
  }

  var session = loadSession();
  var refreshing = null; // one refresh at a time: a refresh token is single use

  function headers() {
    var h = { "Content-Type": "application/json" };
    if (session && session.tenant) h["X-Tenant"] = session.tenant;
    if (session && session.access) h["Authorization"] = "Bearer " + session.access;
    return h;
  }

  async function post(query, variables) {
    var res = await fetch("/graphql", { method: "POST", headers: headers(), body: JSON.stringify({ query: query, variables: variables || {} }) });
    var body;
    try { body = await res.json(); } catch (e) { body = { errors: [{ message: "HTTP " + res.status }] }; }
    return body;
  }

  function topCode(body) {
    var e = body && body.errors && body.errors[0];
    return e ? ((e.extensions && e.extensions.code) || "ERROR") : null;
  }

  async function refresh() {
    if (!session || !session.refresh) return false;
    if (!refreshing) {
      refreshing = (async function () {
        var body = await post("mutation($t: String!) { tokenRefresh(input: {refreshToken: $t}) { tokens { accessToken refreshToken } errors { code } } }", { t: session.refresh });
        var p = body.data && body.data.tokenRefresh;
        if (p && p.tokens) {
          session.access = p.tokens.accessToken; session.refresh = p.tokens.refreshToken; saveSession(session);
          return true;
        }
        return false;
      })().finally(function () { setTimeout(function () { refreshing = null; }, 0); });
    }
    return refreshing;
  }

  /* Seconds until the access token expires (its JWT `exp`), or null without one. An expired
     token is not an error to the API (the request simply runs anonymous and a staff query
     answers null), so the page must refresh before that moment rather than after a refusal. */
  function secondsLeft() {
    if (!session || !session.access) return null;
    try {
      var part = session.access.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4))).exp - Date.now() / 1000;
    } catch (e) { return null; }
  }

  async function ensureFresh() {
    var left = secondsLeft();
    if (left === null || left > 60) return;
    if (await refresh()) return;
    if (left <= 0) { // the sign-in is over (refresh token spent, expired or revoked): back to sign-in
      saveSession(null); session = null;
      window.dispatchEvent(new CustomEvent("qd-session-ended"));
    }
  }

  /* Run a document; returns {data, errors}. The access token is refreshed ahead of its expiry;
     a top-level UNAUTHENTICATED/TOKEN_EXPIRED is also retried once after a refresh. */
  async function request(query, variables) {
    await ensureFresh();
    var body = await post(query, variables);
    var code = topCode(body);
    if ((code === "UNAUTHENTICATED" || code === "TOKEN_EXPIRED") && await refresh()) body = await post(query, variables);
    return body;
  }

  /* A mutation's payload: {payload, errors:[{field, code, message}]}, with a top-level error
     turned into the same shape so the page shows one kind of error. */
  async function mutate(query, variables, field) {
    var body;
    try { body = await request(query, variables); } catch (e) { return { payload: null, errors: [{ code: "NETWORK", message: String(e) }] }; }
    if (body.errors && body.errors.length) {
      return { payload: null, errors: body.errors.map(function (e) { return { code: (e.extensions && e.extensions.code) || "ERROR", message: e.message, field: null }; }) };
    }
    var payload = body.data && body.data[field];
    return { payload: payload, errors: (payload && payload.errors) || [] };
  }

  /* graphql-transport-ws: one socket, many subscriptions; credentials in connection_init
     (browsers cannot set headers on a websocket). Reconnects with back-off and re-subscribes. */
  function Subscriptions() {
    this.ws = null; this.ready = false; this.next = 1; this.subs = {}; this.closed = false; this.retry = 500;
  }
  Subscriptions.prototype.open = function () {
    var self = this;
    if (this.ws || this.closed) return;
    if (secondsLeft() !== null && secondsLeft() <= 60) { // connect with a fresh token
      ensureFresh().then(function () { self.open(); });
      return;
    }
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql", "graphql-transport-ws");
    this.ws = ws;
    ws.onopen = function () {
      var payload = { "X-Tenant": session && session.tenant };
      if (session && session.access) payload.Authorization = "Bearer " + session.access;
      ws.send(JSON.stringify({ type: "connection_init", payload: payload }));
    };
    ws.onmessage = function (msg) {
      var m = JSON.parse(msg.data);
      if (m.type === "connection_ack") {
        self.ready = true; self.retry = 500;
        Object.keys(self.subs).forEach(function (id) { self._send(id); });
      } else if (m.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      } else if (m.type === "next" && self.subs[m.id]) {
        self.subs[m.id].onData(m.payload);
      } else if ((m.type === "complete" || m.type === "error") && self.subs[m.id]) {
        var s = self.subs[m.id]; delete self.subs[m.id];
        if (s.onDone) s.onDone(m.type === "error" ? m.payload : null);
      }
    };
    ws.onclose = function () {
      self.ws = null; self.ready = false;
      if (self.closed) return;
      setTimeout(function () { self.open(); }, self.retry);
      self.retry = Math.min(self.retry * 2, 10000);
    };
  };
  Subscriptions.prototype._send = function (id) {
    var s = this.subs[id];
    if (this.ws && this.ready && s) this.ws.send(JSON.stringify({ id: id, type: "subscribe", payload: { query: s.query, variables: s.variables } }));
  };
  Subscriptions.prototype.subscribe = function (query, variables, onData, onDone) {
    var id = String(this.next++);
    this.subs[id] = { query: query, variables: variables, onData: onData, onDone: onDone };
    this.open();
    this._send(id);
    var self = this;
    return function () {
      if (!self.subs[id]) return;
      delete self.subs[id];
      if (self.ws && self.ready) self.ws.send(JSON.stringify({ id: id, type: "complete" }));
    };
  };
  Subscriptions.prototype.close = function () {
    this.closed = true; this.subs = {};
    if (this.ws) this.ws.close();
  };

  window.QD = window.QD || {};
  window.QD.gql = {
    request: request,
    mutate: mutate,
    session: function () { return session; },
    setSession: function (s) { session = s; saveSession(s); },
    ensureFresh: ensureFresh,
    Subscriptions: Subscriptions,
  };
})();
