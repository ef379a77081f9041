"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const messages = document.getElementById("messages");
  const card = document.getElementById("card");
  const queue = document.getElementById("handoffs");

  async function call(method, url, body) {
    const options = { method, headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await fetch(url, options);
    } catch (cause) {
      const error = new Error("网络断开了");
      error.network = true;
      throw error;
    }
    if (answer.status === 401) { window.location = "/login"; return null; }
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const error = new Error(data.error || ("HTTP " + answer.status));
      error.status = answer.status;
      throw error;
    }
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    children.forEach((c) => node.append(c));
    return node;
  }

  function show(text, who) {
    const node = el("div", { class: "msg " + who }, text);
    messages.append(node);
    messages.scrollTop = messages.scrollHeight;
    return node;
  }

  function showChoices(choices) {
    if (!choices || !choices.length) return;
    const box = el("div", { class: "msg bot choices" });
    choices.forEach((c) => {
      const b = el("button", { class: "small choice" }, c.title);
      b.addEventListener("click", () => { box.remove(); say(c.payload, c.title); });
      box.append(b);
    });
    messages.append(box);
    messages.scrollTop = messages.scrollHeight;
  }

  // Messages wait in IndexedDB until the server has answered them, so one typed
  // while the network is down goes out when it is back; each carries its own id,
  // which the server answers once however often it arrives.
  const outbox = window.idbKeyval ? idbKeyval.createStore("salesbot-outbox", "messages") : null;
  const memory = new Map();
  const queued = {
    put: (key, item) => (outbox ? idbKeyval.set(key, item, outbox) : Promise.resolve(memory.set(key, item))),
    drop: (key) => (outbox ? idbKeyval.del(key, outbox) : Promise.resolve(memory.delete(key))),
    all: () => (outbox ? idbKeyval.entries(outbox) : Promise.resolve([...memory.entries()])),
    clear: () => (outbox ? idbKeyval.clear(outbox) : Promise.resolve(memory.clear())),
  };
  const offline = document.getElementById("offline");
  let flushing = false;
  let retry = null;

  function setOffline(down) {
    offline.hidden = !down;
    document.body.dataset.network = down ? "offline" : "online";
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function bubble(item) {
    const node = show(item.shown, "me");
    node.dataset.clientId = item.id;
    node.classList.add("pending");
    return node;
  }

  async function say(text, shown) {
    if (!text.trim()) return;
    const item = { id: newId(), message: text, shown: shown || text, at: Date.now() };
    bubble(item);
    await queued.put(String(item.at).padStart(15, "0") + "-" + item.id, item);
    await flush();
  }

  function later(seconds) {
    clearTimeout(retry);
    retry = setTimeout(flush, seconds * 1000);
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      const entries = (await queued.all()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      for (const [key, item] of entries) {
        let data;
        try {
          data = await call("POST", "/api/say", { message: item.message, client_id: item.id });
        } catch (error) {
          if (error.network) { setOffline(true); later(5); return; }
          if (error.status === 409 || error.status === 502) { later(5); return; }
          await queued.drop(key);
          const node = messages.querySelector('[data-client-id="' + item.id + '"]');
          if (node) node.classList.remove("pending");
          show("没发出去：" + error.message, "bot");
          continue;
        }
        if (data === null) return;
        setOffline(false);
        await queued.drop(key);
        const node = messages.querySelector('[data-client-id="' + item.id + '"]') || bubble(item);
        node.classList.remove("pending");
        if (data.new_conversation) {
          while (node.previousElementSibling) node.previousElementSibling.remove();
          renderCard(null);
        }
        (data.replies.length ? data.replies : ["（没有回复）"]).forEach((r) => show(r, "bot"));
        showChoices(data.choices);
        await refreshCard();
      }
    } finally {
      flushing = false;
    }
  }

  window.addEventListener("online", () => flush());
  window.addEventListener("offline", () => setOffline(true));
  queued.all().then((entries) => {
    entries.sort((a, b) => (a[0] < b[0] ? -1 : 1)).forEach(([, item]) => bubble(item));
    if (entries.length) flush();
  });
  // Logging out leaves nothing of hers on a shared tablet: no queued message, no
  // cached card.
  document.querySelectorAll('form[action="/logout"]').forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const waiting = (await queued.all()).length;
    if (waiting && !window.confirm("还有 " + waiting + " 条消息没发出去，退出后会丢弃。确定退出吗？")) return;
    await queued.clear();
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("forget");
    form.submit();
  }));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready)
      .then(() => { document.body.dataset.offlineReady = "yes"; }).catch(() => {});
  }

  function kv(pairs) {
    const box = el("div", { class: "kv" });
    pairs.forEach(([k, v]) => { if (v) box.append(el("span", {}, k), el("span", {}, v)); });
    return box;
  }

  function renderCard(customer) {
    card.replaceChildren();
    if (!customer) {
      card.append(el("p", { class: "muted" }, "还没有当前顾客。发给我顾客的手机号或会员号。"));
      return;
    }
    const c = customer.card;
    const seg = customer.segment;
    const head = el("div", { id: "customer-card" },
      el("h2", {}, c.salutation + "（" + c.member_no + "）"),
      c.birthday ? el("p", { class: "birthday" }, "生日 " + c.birthday) : "",
      kv([["会员等级", c.level], ["门店", c.store], ["累计消费", c.spend], ["订单数", c.orders],
          ["最近购买", c.last_purchase], ["客群", seg ? seg.segment + "·" + seg.tier : c.value_label],
          ["生命周期", seg ? seg.lifecycle : ""], ["预计价值", (customer.clv || "") + (customer.clv_basis || "")], ["消息", c.consent],
          ["常购品类", customer.preferences.categories], ["常购品牌", customer.preferences.brands],
          ["价位", customer.preferences.price_band], ["店员记录", customer.preferences.noted]]));
    card.append(head);
    const recs = el("div", { id: "suggestions" }, el("h3", {}, "推荐（点一下记录结果）"));
    if (!customer.suggestions.length) recs.append(el("p", { class: "muted" }, "还没有推荐，点“推荐”试试。"));
    customer.suggestions.forEach((s) => {
      const row = el("div", { class: "suggestion", "data-id": String(s.id) },
        el("div", {}, s.name), el("div", { class: "why" }, s.reason));
      if (s.outcome) {
        row.append(el("span", { class: "tag" }, s.outcome === "bought" ? "已购买" : "不感兴趣"));
      } else {
        const bought = el("button", { class: "small bought" }, "她买了");
        const no = el("button", { class: "small secondary declined" }, "不感兴趣");
        bought.addEventListener("click", () => mark(s.id, "bought"));
        no.addEventListener("click", () => mark(s.id, "declined"));
        row.append(bought, " ", no);
      }
      recs.append(row);
    });
    card.append(recs);
    const care = el("div", {}, el("h3", {}, "待发的关怀"));
    if (!customer.care.length) care.append(el("p", { class: "muted" }, "接下来一周没有"));
    customer.care.forEach((m) => care.append(el("div", {}, m.day + " " + m.label + "：" + m.body)));
    card.append(care);
  }

  async function refreshCard() {
    try { renderCard((await call("GET", "/api/panel")).customer); } catch (e) { /* keep the last card */ }
  }

  async function mark(id, outcome) {
    try { await call("POST", "/api/outcome", { id, outcome }); } catch (e) { show("没记上：" + e.message, "bot"); }
    await refreshCard();
  }

  const taskList = document.getElementById("tasks");

  async function refreshTasks() {
    let tasks;
    try { tasks = await call("GET", "/api/tasks"); } catch (e) { return; }
    taskList.replaceChildren();
    if (!tasks || !tasks.length) { taskList.append(el("p", { class: "muted" }, "暂无")); return; }
    tasks.forEach((task) => {
      const done = el("button", { class: "small" }, "已发送");
      const skip = el("button", { class: "small secondary" }, "不发了");
      done.addEventListener("click", async () => { await call("POST", "/api/tasks/" + task.id + "/done", {}); refreshTasks(); });
      skip.addEventListener("click", async () => { await call("POST", "/api/tasks/" + task.id + "/skip", {}); refreshTasks(); });
      taskList.append(el("div", { class: "suggestion task", "data-id": String(task.id) },
        el("div", {}, task.label + " · " + task.customer + "（" + task.member_no + "）"),
        el("div", { class: "body" }, task.body),
        el("div", { class: "why" }, task.why), done, " ", skip));
    });
  }

  const workList = document.getElementById("worklist");
  const keep = document.getElementById("keep-in-touch");
  let workPage = 1;

  function action(label, body, cls) {
    const button = el("button", { class: "small" + (cls ? " " + cls : "") }, label);
    button.addEventListener("click", async () => {
      try { await call("POST", "/api/worklist/mark", body); } catch (e) { show("没记上：" + e.message, "bot"); }
      refreshWorklist();
    });
    return button;
  }

  async function refreshWorklist() {
    let data;
    try { data = await call("GET", "/api/worklist?page=" + workPage); } catch (e) { return; }
    if (!data) return;
    workPage = data.page;
    document.getElementById("worklist-count").textContent = "共" + data.total + "条";
    document.getElementById("worklist-page").textContent = " 第" + data.page + "/" + data.pages + "页 ";
    document.getElementById("worklist-prev").disabled = data.page <= 1;
    document.getElementById("worklist-next").disabled = data.page >= data.pages;
    workList.replaceChildren();
    if (!data.items.length) workList.append(el("p", { class: "muted" }, "今天的跟进都做完了"));
    data.items.forEach((item) => {
      const ids = { customer_id: item.customer_id, outbox_id: item.id };
      const buttons = [];
      if (item.clerk_sends) {
        const copy = el("button", { class: "small secondary" }, "复制文字");
        copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(item.body));
        buttons.push(copy, action("已发送", { ...ids, action: "sent" }));
      }
      buttons.push(action("已电话", { ...ids, action: "called" }), action("完成", { ...ids, action: "done" }),
        action("明天再说", { ...ids, action: "snoozed" }, "secondary"));
      workList.append(el("div", { class: "suggestion work-item", "data-id": String(item.id) },
        el("div", {}, item.label + " · " + item.customer + "（" + item.member_no + "） · " + item.due),
        el("div", { class: "body" }, item.body), el("div", { class: "actions" }, ...buttons)));
    });
    keep.replaceChildren();
    if (!data.keep_in_touch.length) keep.append(el("p", { class: "muted" }, "暂无"));
    data.keep_in_touch.forEach((c) => {
      const ids = { customer_id: c.customer_id, outbox_id: null };
      keep.append(el("div", { class: "suggestion keep", "data-customer": String(c.customer_id) },
        el("div", {}, c.customer + "（" + c.member_no + "） · " + c.stage),
        el("div", { class: "why" }, "最近购买：" + c.days + "天前（截至" + c.as_of + "） · 上次联系：" + (c.last_contact || "无")),
        el("div", { class: "actions" }, action("已电话", { ...ids, action: "called" }), action("稍后", { ...ids, action: "snoozed" }, "secondary"))));
    });
  }
  document.getElementById("worklist-prev").addEventListener("click", () => { workPage -= 1; refreshWorklist(); });
  document.getElementById("worklist-next").addEventListener("click", () => { workPage += 1; refreshWorklist(); });

  async function refreshQueue() {
    let entries;
    try { entries = await call("GET", "/api/handoffs"); } catch (e) { return; }
    queue.replaceChildren();
    if (!entries || !entries.length) { queue.append(el("p", { class: "muted" }, "暂无")); return; }
    entries.forEach((h) => {
      const input = el("input", { placeholder: "回复顾客…" });
      const send = el("button", { class: "small" }, "回复");
      const close = el("button", { class: "small secondary" }, "结束");
      send.addEventListener("click", async () => {
        try { await call("POST", "/api/handoffs/" + h.id + "/reply", { text: input.value }); input.value = ""; }
        catch (e) { alert(e.message); }
        refreshQueue();
      });
      close.addEventListener("click", async () => { await call("POST", "/api/handoffs/" + h.id + "/close", {}); refreshQueue(); });
      const thread = el("div", { class: "why" });
      const parts = [el("div", {}, "#" + h.id + " " + h.customer + "：" + h.reason), thread];
      if (h.window) {
        parts.push(el("div", { class: h.window.open ? "window muted" : "window closed" }, h.window.note));
        if (!h.window.open) { input.disabled = true; send.disabled = true; input.placeholder = "微信不允许再回复"; }
      }
      queue.append(el("div", { class: "suggestion handoff", "data-id": String(h.id) },
        ...parts, input, send, " ", close));
      call("GET", "/api/handoffs/" + h.id).then((messages) => {
        (messages || []).slice(-4).forEach((m) => thread.append(
          el("div", {}, (m.author === "staff" ? "店员：" : "顾客：") + m.body + (m.delivery === "ok" ? "" : "（未送达）"))));
      }).catch(() => {});
    });
  }

  document.getElementById("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("text");
    const text = input.value; input.value = "";
    say(text);
  });
  document.querySelectorAll("[data-say]").forEach((b) => b.addEventListener("click", () => say(b.dataset.say)));
  document.getElementById("new-customer").addEventListener("click", async () => {
    await call("POST", "/api/new-customer", {});
    messages.replaceChildren();
    renderCard(null);
  });
  // Narrow screens show one pane at a time: the chat, or her card and the queues.
  const bench = document.getElementById("workbench");
  const tabs = { chat: document.getElementById("tab-chat"), customer: document.getElementById("tab-customer") };
  function showPane(name) {
    bench.classList.toggle("show-customer", name === "customer");
    Object.entries(tabs).forEach(([key, tab]) => tab.setAttribute("aria-selected", String(key === name)));
    if (name === "customer") document.getElementById("tab-badge").hidden = true;
  }
  tabs.chat.addEventListener("click", () => showPane("chat"));
  tabs.customer.addEventListener("click", () => showPane("customer"));
  // Live updates: the server pushes "handoffs" and "tasks" (server-sent events);
  // a new waiting customer lights the badge and, unless turned off, beeps.
  const badge = document.getElementById("live-badge");
  const soundToggle = document.getElementById("sound-toggle");
  let soundOn = localStorage.getItem("salesbot-sound") !== "off";
  function showSound() { soundToggle.textContent = soundOn ? "提示音：开" : "提示音：关"; soundToggle.setAttribute("aria-pressed", String(soundOn)); }
  soundToggle.addEventListener("click", () => { soundOn = !soundOn; localStorage.setItem("salesbot-sound", soundOn ? "on" : "off"); showSound(); });
  showSound();
  let audio = null;
  function beep() {
    if (!soundOn) return;
    try {
      audio = audio || new AudioContext();
      const tone = audio.createOscillator(); const gain = audio.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.15;
      tone.connect(gain).connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.25);
    } catch (e) { /* no audio on this device */ }
  }
  let waiting = null;
  function onHandoffs(event) {
    const count = JSON.parse(event.data).handoffs;
    if (waiting !== null && count > waiting) {
      beep();
      badge.textContent = String(count); badge.hidden = false;
      const tabBadge = document.getElementById("tab-badge");
      if (!bench.classList.contains("show-customer")) { tabBadge.textContent = String(count); tabBadge.hidden = false; }
    }
    if (count === 0) badge.hidden = true;
    waiting = count;
    refreshQueue();
  }
  badge.addEventListener("click", () => { badge.hidden = true; showPane("customer"); queue.scrollIntoView(); });
  // The lists are read after the stream's hello, never before: whatever changes
  // after the server took the hello's signature is pushed, whatever changed before
  // is in what we read; a reconnected stream says hello again and the lists are
  // read again, so nothing done while the tablet was offline is missed.
  let loaded = false;
  async function loadLists() {
    loaded = true;
    await Promise.all([refreshQueue(), refreshTasks(), refreshWorklist()]);
  }
  const live = new EventSource("/api/events");
  live.addEventListener("hello", async (event) => {
    waiting = JSON.parse(event.data).handoffs;
    await loadLists();
    document.body.dataset.live = "on";
  });
  live.addEventListener("handoffs", onHandoffs);
  live.addEventListener("tasks", () => { refreshTasks(); refreshWorklist(); });
  live.addEventListener("error", () => {
    document.body.dataset.live = "off";
    if (!loaded) loadLists();  // no stream (a proxy refusing it): show the lists anyway
  });
  refreshCard();
})();
