/* The store map: vector layers only (store, its delivery zones or radius, riders, drop-offs), so it
   works with no internet. A tile layer is added only when the server sets a tile URL
   (QIANDIAN_CONSOLE_TILE_URL, passed in a <meta> tag). All points are WGS-84 as the API
   gives them with system: WGS84; Leaflet draws them in its own (Web Mercator) projection. */
(function () {
  "use strict";

  function tileUrl() {
    var m = document.querySelector('meta[name="qd-tile-url"]');
    var v = m && m.getAttribute("content");
    return v && /^https?:\/\//.test(v) ? v : "";
  }

  /* Leaflet renders a string tooltip as HTML: a store or rider named "<img src=x onerror=...>"
     would become markup. Every tooltip is given an element whose text is set, never parsed. */
  function label(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
  }

  function StoreMap(el) {
    this.map = L.map(el, { zoomControl: true, attributionControl: false, preferCanvas: false });
    var tiles = tileUrl();
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(this.map);
    else el.classList.add("no-tiles");
    this.layers = { zone: L.layerGroup().addTo(this.map), store: L.layerGroup().addTo(this.map),
      drops: L.layerGroup().addTo(this.map), riders: L.layerGroup().addTo(this.map), couriers: L.layerGroup().addTo(this.map) };
    this.storeKey = null;
    this.map.setView([30.27, 120.15], 13);
    var legend = L.control({ position: "topright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "qd-legend");
      [["store", QD.i18n.t("store")], ["rider", QD.i18n.t("own")], ["courier", QD.i18n.t("courier")],
        ["drop ok", QD.i18n.t("dropoff")], ["drop urgent", QD.i18n.t("dropoff") + " < 5 min"]].forEach(function (item) {
        var row = L.DomUtil.create("span", "qd-legend-item", div);
        L.DomUtil.create("i", "dot " + item[0], row);
        row.appendChild(document.createTextNode(item[1]));
      });
      return div;
    };
    legend.addTo(this.map);
  }

  /* One colour per tier, innermost first; tiers past the palette reuse its last colour. */
  var TIER_COLOURS = ["#2b7a4b", "#d68910", "#7d3c98", "#1f618d", "#a04000"];

  function tierColour(tier) { return TIER_COLOURS[Math.min(tier, TIER_COLOURS.length) - 1]; }

  /* A GeoJSON Polygon (WGS-84 [lon, lat] rings, outer first, then holes) as Leaflet latlngs. */
  function rings(polygon) {
    return (polygon.coordinates || []).map(function (ring) { return ring.map(function (p) { return [p[1], p[0]]; }); });
  }

  /* store: {id, name, location, deliveryRadiusMeters, deliveryZones: [{id, tier, name, kind, radiusMeters, polygon}] | null}.
     Zones are drawn outermost first so the inner tiers stay on top; a store without zones
     delivers within its radius, drawn as one circle. */
  StoreMap.prototype.setStore = function (store) {
    if (!store || !store.location) return;
    var zones = (store.deliveryZones || []).slice().sort(function (a, b) { return b.tier - a.tier; });
    var key = store.id + ":" + store.deliveryRadiusMeters + ":" + zones.map(function (z) { return z.id; }).join(",");
    if (key === this.storeKey) return;
    this.storeKey = key;
    var self = this, ll = [store.location.latitude, store.location.longitude];
    this.layers.zone.clearLayers(); this.layers.store.clearLayers();
    var bounds = L.latLng(ll).toBounds(store.deliveryRadiusMeters * 2.1);
    if (zones.length) {
      bounds = L.latLngBounds([ll, ll]);
      zones.forEach(function (z) {
        var style = { className: "qd-zone qd-zone-tier-" + z.tier, color: tierColour(z.tier), weight: 2, fillOpacity: 0.08 };
        var shape = z.kind === "POLYGON" && z.polygon ? L.polygon(rings(z.polygon), style) : L.circle(ll, Object.assign({ radius: z.radiusMeters }, style));
        shape.bindTooltip(label(QD.i18n.t("zone") + " " + z.tier + " · " + z.name)).addTo(self.layers.zone);
        bounds.extend(z.kind === "POLYGON" && z.polygon ? shape.getBounds() : L.latLng(ll).toBounds(z.radiusMeters * 2));
      });
    } else {
      L.circle(ll, { radius: store.deliveryRadiusMeters, className: "qd-zone qd-zone-radius", color: "#2b7a4b", weight: 2, fillOpacity: 0.06 })
        .bindTooltip(label(QD.i18n.t("zone") + " " + (store.deliveryRadiusMeters / 1000).toFixed(1) + " km")).addTo(this.layers.zone);
    }
    L.circleMarker(ll, { radius: 10, className: "qd-store", color: "#fff", weight: 3, fillColor: "#c0392b", fillOpacity: 1 })
      .bindTooltip(label(store.name), { permanent: true, direction: "top", offset: [0, -10] }).addTo(this.layers.store);
    this.map.fitBounds(bounds.pad(0.05));
  };

  /* riders: [{id, name, lat, lon, own, route: [orderId]}], drops: [{orderId, number, lat, lon, urgency}] */
  StoreMap.prototype.update = function (riders, drops) {
    var self = this;
    this.layers.riders.clearLayers(); this.layers.couriers.clearLayers(); this.layers.drops.clearLayers();
    drops.forEach(function (d) {
      L.circleMarker([d.lat, d.lon], { radius: 7, className: "qd-drop " + d.urgency, weight: 2, color: "#333", fillOpacity: 0.9 })
        .bindTooltip(label(QD.i18n.t("dropoff") + " " + d.number)).addTo(self.layers.drops);
    });
    var dropAt = {};
    drops.forEach(function (d) { dropAt[d.orderId] = [d.lat, d.lon]; });
    riders.forEach(function (r, i) {
      var left = i % 2 === 1; // neighbouring labels on alternate sides, so close riders stay readable
      var layer = r.own ? self.layers.riders : self.layers.couriers;
      var stops = (r.route || []).map(function (id) { return dropAt[id]; }).filter(Boolean);
      if (stops.length) { // the rider's current tasks, in the order the board lists them
        L.polyline([[r.lat, r.lon]].concat(stops), { className: "qd-route", color: "#1f6feb", weight: 3, dashArray: "6 6" }).addTo(layer);
      }
      L.circleMarker([r.lat, r.lon], { radius: 9, className: r.own ? "qd-rider" : "qd-courier", weight: 3, color: "#fff",
        fillColor: r.own ? "#1f6feb" : "#8e44ad", fillOpacity: 1 })
        .bindTooltip(label((r.own ? "" : QD.i18n.t("courier") + " ") + r.name), { permanent: true, direction: left ? "left" : "right", offset: [left ? -10 : 10, 0] }).addTo(layer);
    });
  };

  StoreMap.prototype.resize = function () { this.map.invalidateSize(); };
  StoreMap.prototype.remove = function () { this.map.remove(); };

  window.QD = window.QD || {};
  window.QD.StoreMap = StoreMap;
})();
