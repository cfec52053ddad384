/* Chinese (default, the demo brand's language) and English labels, and a sentence for each
   typed error code the console can meet; an unknown code shows the API's own message. */
(function () {
  "use strict";
  var zh = {
    title: "门店调度台", signIn: "登录", signOut: "退出", tenant: "品牌", username: "账号", password: "密码",
    store: "门店", board: "调度看板", pickup: "自提核销", roster: "今日骑手", map: "地图",
    queue: "订单队列", noOrders: "暂无待配送订单", late: "已超时", left: "剩余", promised: "承诺送达",
    suggestion: "引擎建议", suggestedRider: "建议骑手", none: "无", dispatchNow: "立即派单",
    assign: "指派", unassign: "取消指派", chooseRider: "选择骑手", callCourier: "呼叫运力",
    quotes: "运力报价", getQuotes: "获取报价", cancelCourier: "取消运力", timeline: "配送时间线",
    provider: "平台", fee: "费用", eta: "预计", distance: "距离", call: "呼叫", cancel: "取消",
    verify: "核销", code: "取件码", qr: "二维码内容", order: "订单", byCode: "按取件码", byQr: "按二维码",
    awaiting: "待自提订单", verified: "已核销", riders: "骑手", shift: "班次", status: "状态",
    capacity: "运力", noShifts: "今日无排班", lang: "English", close: "关闭", done: "已完成",
    courier: "运力", own: "骑手", dropoff: "收货点", zone: "配送范围", live: "实时",
    noAccess: "无权查看此门店", loading: "加载中…", error: "出错了", orderStatus: "订单状态",
    task: "配送任务", selectOrder: "点击订单查看详情", overFeeCap: "超出上限", partner: "合作方",
    sessionEnded: "登录已过期，请重新登录", pinned: "已锁定",
    lanes: { UNASSIGNED: "待派单", ASSIGNED: "已指派", ACCEPTED: "已接单", AT_STORE: "到店", PICKED_UP: "已取货", HANDED_TO_COURIER: "第三方配送" },
    riderStatus: { AVAILABLE: "空闲", BUSY: "忙碌", OFF_SHIFT: "下班", SUSPENDED: "停用" },
  };
  var en = {
    title: "Staff console", signIn: "Sign in", signOut: "Sign out", tenant: "Brand", username: "Username", password: "Password",
    store: "Store", board: "Dispatch board", pickup: "Pickup check", roster: "Riders today", map: "Map",
    queue: "Order queue", noOrders: "No orders waiting", late: "late", left: "left", promised: "Promised by",
    suggestion: "Engine suggestion", suggestedRider: "Suggested rider", none: "none", dispatchNow: "Dispatch now",
    assign: "Assign", unassign: "Unassign", chooseRider: "Choose rider", callCourier: "Call courier",
    quotes: "Courier quotes", getQuotes: "Get quotes", cancelCourier: "Cancel courier", timeline: "Delivery timeline",
    provider: "Partner", fee: "Fee", eta: "ETA", distance: "Distance", call: "Call", cancel: "Cancel",
    verify: "Verify", code: "Pickup code", qr: "QR payload", order: "Order", byCode: "By code", byQr: "By QR",
    awaiting: "Awaiting pickup", verified: "Collected", riders: "Riders", shift: "Shift", status: "Status",
    capacity: "Capacity", noShifts: "No shifts today", lang: "中文", close: "Close", done: "Done",
    courier: "Courier", own: "Own rider", dropoff: "Drop-off", zone: "Delivery zone", live: "live",
    noAccess: "You may not view this store", loading: "Loading…", error: "Error", orderStatus: "Order status",
    task: "Task", selectOrder: "Tap an order for details", overFeeCap: "over cap", partner: "Partner",
    sessionEnded: "Your sign-in ended; please sign in again", pinned: "pinned",
    lanes: { UNASSIGNED: "Unassigned", ASSIGNED: "Assigned", ACCEPTED: "Accepted", AT_STORE: "At store", PICKED_UP: "Picked up", HANDED_TO_COURIER: "With courier" },
    riderStatus: { AVAILABLE: "Available", BUSY: "Busy", OFF_SHIFT: "Off shift", SUSPENDED: "Suspended" },
  };
  var errors = {
    zh: {
      INVALID_CREDENTIALS: "账号或密码错误", UNKNOWN_TENANT: "品牌不存在", RATE_LIMITED: "尝试过于频繁，请稍后再试",
      PERMISSION_DENIED: "没有权限", UNAUTHENTICATED: "请先登录", NOT_FOUND: "未找到", CODE_INVALID: "取件码无效",
      CODE_ALREADY_USED: "取件码已使用", WRONG_STORE: "不是本店订单", ORDER_NOT_READY: "订单尚未备好",
      NOT_DISPATCHABLE: "该订单当前不可派单", ALREADY_CALLED: "已呼叫运力", NO_COURIER: "没有可用运力",
      COURIER_REFUSED: "运力平台拒单", COURIER_TIMEOUT: "运力平台超时", ALREADY_FINISHED: "配送已结束",
      NO_RIDER_AVAILABLE: "没有可用骑手", RIDER_NOT_ON_SHIFT: "骑手不在班", RIDER_SUSPENDED: "骑手已停用", NOT_ASSIGNED: "尚未指派", ALREADY_PICKED_UP: "骑手已取货", CONCURRENT_UPDATE: "订单刚被他人修改，请重试", INVALID: "输入有误", REQUIRED: "缺少必填项", NETWORK: "网络错误",
    },
    en: {
      INVALID_CREDENTIALS: "Wrong username or password", UNKNOWN_TENANT: "Unknown brand", RATE_LIMITED: "Too many tries; wait a moment",
      PERMISSION_DENIED: "Not allowed", UNAUTHENTICATED: "Please sign in", NOT_FOUND: "Not found", CODE_INVALID: "Invalid pickup code",
      CODE_ALREADY_USED: "Code already used", WRONG_STORE: "Not this store's order", ORDER_NOT_READY: "Order not ready yet",
      NOT_DISPATCHABLE: "This order cannot be dispatched now", ALREADY_CALLED: "A courier is already called", NO_COURIER: "No courier available",
      COURIER_REFUSED: "The courier refused", COURIER_TIMEOUT: "The courier did not answer", ALREADY_FINISHED: "The delivery has ended",
      NO_RIDER_AVAILABLE: "No rider available", RIDER_NOT_ON_SHIFT: "Rider not on shift", RIDER_SUSPENDED: "Rider suspended", NOT_ASSIGNED: "Not assigned", ALREADY_PICKED_UP: "Already picked up", CONCURRENT_UPDATE: "Changed by someone else; try again", INVALID: "Invalid input", REQUIRED: "Missing input", NETWORK: "Network error",
    },
  };
  var langs = { zh: zh, en: en };
  var current = localStorage.getItem("qd.console.lang") || "zh";
  if (!langs[current]) current = "zh";

  window.QD = window.QD || {};
  window.QD.i18n = {
    lang: function () { return current; },
    setLang: function (l) { current = langs[l] ? l : "zh"; localStorage.setItem("qd.console.lang", current); document.documentElement.lang = current === "zh" ? "zh-CN" : "en"; },
    t: function (key) { return langs[current][key] !== undefined ? langs[current][key] : key; },
    sub: function (group, key) { var g = langs[current][group] || {}; return g[key] || key; },
    /* "CODE: sentence", so staff and support see the same typed code. */
    error: function (e) { var s = errors[current][e.code]; return e.code + ": " + (s || e.message || ""); },
  };
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
})();
