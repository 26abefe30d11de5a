// The kitchen board: plain JavaScript over the API and its live streams
// (GET /kitchen/events, GET /orders/{id}/events). EventSource reconnects by
// itself and sends Last-Event-ID, so a dropped stream resumes.
"use strict";

const $ = (sel) => document.querySelector(sel);
const STAGES = ["sauce", "cheese", "meats", "veggies"];
const RANK = { ordered: 0, sauce: 1, cheese: 2, meats: 3, done: 4, veggies: 4 };
const MAX_RECENT = 12;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function shortID(id) { return id.length > 13 ? id.slice(0, 8) + "…" : id; }
function statusText(s) { return s === "in_progress" ? "in progress" : s; }
function timeText(t) { return t ? new Date(t).toLocaleTimeString() : "–"; }

// --- recent orders ---------------------------------------------------------

const recent = new Map(); // order id -> row

function upsertOrder(o) {
  let row = recent.get(o.order_id);
  if (!row) {
    row = el("tr", { "data-order": o.order_id },
      el("td", {}, el("code", { title: o.order_id }, shortID(o.order_id))),
      el("td", { class: "count" }), el("td", {}, el("span", { class: "status" })), el("td", { class: "placed" }));
    recent.set(o.order_id, row);
    $("#orders tbody").prepend(row);
    while (recent.size > MAX_RECENT) {
      const [oldest] = recent.keys();
      recent.get(oldest).remove();
      recent.delete(oldest);
    }
  }
  if (o.count !== undefined) row.querySelector(".count").textContent = o.count;
  if (o.placed_at) row.querySelector(".placed").textContent = timeText(o.placed_at);
  if (o.status) {
    const s = row.querySelector(".status");
    s.textContent = statusText(o.status);
    s.className = "status " + o.status;
  }
}

async function loadRecent() {
  try {
    const r = await fetch("/orders?limit=" + MAX_RECENT);
    if (!r.ok) return;
    const page = await r.json();
    for (const o of page.orders.slice().reverse()) upsertOrder(o);
  } catch (e) { /* the stream fills the table as orders come */ }
}

// --- cheese chart ----------------------------------------------------------

function drawCheese(rep) {
  $("#cheese-total").textContent = rep.total;
  $("#cheese").setAttribute("data-total", rep.total);
  const body = $("#cheese tbody");
  body.replaceChildren();
  const top = rep.cheeses.length ? rep.cheeses[0].count : 1;
  for (const c of rep.cheeses) {
    const bar = el("span", { "aria-hidden": "true" });
    bar.style.width = (100 * c.count / top).toFixed(1) + "%";
    body.append(el("tr", {},
      el("th", { scope: "row", class: "name" }, c.cheese),
      el("td", { class: "bar" }, bar),
      el("td", { class: "num" }, c.count + " (" + Math.round(100 * c.share) + "%)")));
  }
}

// --- your order ------------------------------------------------------------

let orderStream = null;

function drawOrder(o) {
  const st = $("#order-status");
  st.textContent = statusText(o.status);
  st.className = "status " + o.status;
  st.setAttribute("data-order", o.order_id);
  const body = $("#pizzas tbody");
  body.replaceChildren();
  o.pizzas.forEach((p, i) => {
    const row = el("tr", {}, el("th", { scope: "row" }, "#" + (i + 1)));
    STAGES.forEach((s, k) => {
      const done = RANK[p.stage] >= k + 1;
      row.append(el("td", { class: "stage " + s + (done ? " done" : " pending") },
        done ? (p[s] || "none") : "waiting"));
    });
    body.append(row);
  });
  upsertOrder(o);
}

function follow(id) {
  if (orderStream) orderStream.close();
  orderStream = new EventSource("/orders/" + encodeURIComponent(id) + "/events");
  orderStream.addEventListener("order", (ev) => {
    const o = JSON.parse(ev.data);
    drawOrder(o);
    if (o.status === "completed") { orderStream.close(); orderStream = null; }
  });
}

async function place(ev) {
  ev.preventDefault();
  const btn = $("#place"), msg = $("#place-msg");
  const count = parseInt($("#count").value, 10);
  btn.disabled = true;
  msg.textContent = "Placing…";
  try {
    const r = await fetch("/orders", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ count }),
    });
    const body = await r.json();
    if (!r.ok) { msg.textContent = body.detail || "The order was refused."; return; }
    msg.textContent = "Order " + shortID(body.order_id) + " placed.";
    $("#order-status").textContent = "placed";
    upsertOrder({ order_id: body.order_id, count, status: "placed", placed_at: body.placed_at });
    follow(body.order_id);
  } catch (e) {
    msg.textContent = "Could not reach the kitchen; try again.";
  } finally {
    btn.disabled = false;
  }
}

// --- the kitchen stream ----------------------------------------------------

function connectKitchen() {
  const conn = $("#conn");
  const es = new EventSource("/kitchen/events");
  es.onopen = () => { conn.textContent = "live"; conn.classList.remove("bad"); };
  es.onerror = () => { conn.textContent = "reconnecting…"; conn.classList.add("bad"); };
  // placed, completed and dead_letter frames are arrays of what happened
  // since the previous frame.
  es.addEventListener("placed", (ev) => {
    for (const p of JSON.parse(ev.data)) {
      upsertOrder({ order_id: p.order_id, count: p.count, placed_at: p.placed_at, status: recent.has(p.order_id) ? undefined : "placed" });
    }
  });
  es.addEventListener("completed", (ev) => {
    for (const c of JSON.parse(ev.data)) {
      if (recent.has(c.order_id)) upsertOrder({ order_id: c.order_id, status: "completed" });
    }
  });
  es.addEventListener("cheese", (ev) => drawCheese(JSON.parse(ev.data)));
  es.addEventListener("rates", (ev) => {
    const r = JSON.parse(ev.data);
    for (const [stage, n] of Object.entries(r.pizzas)) {
      const dd = document.querySelector('#rates dd[data-stage="' + stage + '"]');
      if (dd) dd.textContent = Math.round(n / r.interval_seconds);
    }
    const lag = $("#lag");
    lag.textContent = r.lag === null ? "?" : r.lag;
    lag.classList.toggle("bad", r.lag === null || r.lag > 1000);
    const dead = $("#dead");
    dead.textContent = r.dead_letters_total;
    dead.classList.toggle("bad", r.dead_letters_total > 0);
  });
  es.addEventListener("dead_letter", (ev) => {
    const dead = $("#dead");
    dead.textContent = String(parseInt(dead.textContent, 10) + JSON.parse(ev.data).length);
    dead.classList.add("bad");
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("#place-form").addEventListener("submit", place);
  loadRecent();
  connectKitchen();
});
