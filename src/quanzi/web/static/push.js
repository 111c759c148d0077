// New message notifications (/me/alerts): subscribe this browser to Web Push through the
// native API (docs/api.md, "Push"), and choose what wakes it. The service worker (/sw.js)
// shows what arrives; a push says who and what only if "Show who and what" is on.
(() => {
  "use strict";
  const root = document.getElementById("alerts");
  if (!root) return;
  const api = "/api/quanzi/v1/push";
  const csrf = document.body.dataset.csrf;
  const status = document.getElementById("alerts-status");
  const words = {};
  for (const el of document.getElementById("alerts-words").content.querySelectorAll("[data-key]")) {
    words[el.dataset.key] = el.textContent;
  }
  const device = document.getElementById("alerts-device");
  const previews = document.getElementById("alerts-previews");
  const kinds = [...root.querySelectorAll("input[data-alerts]")];
  let current = null; // this session's subscription, as the server has it

  function say(key) { status.textContent = words[key] || ""; }

  function call(method, path, body) {
    return fetch(api + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function alerts() {
    return kinds.filter((k) => k.checked).flatMap((k) => k.dataset.alerts.split(" "));
  }

  function show(sub) {
    current = sub;
    device.checked = !!sub;
    previews.disabled = !sub;
    previews.checked = !!(sub && sub.previews);
    const on = new Set(sub ? sub.alerts : []);
    for (const k of kinds) {
      k.disabled = !sub;
      k.checked = !!sub && k.dataset.alerts.split(" ").every((a) => on.has(a));
    }
    say(sub ? "on" : "off");
  }

  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  async function load() {
    if (!supported) { say("unsupported"); return; }
    device.disabled = false;
    const r = await call("GET", "/subscription");
    show(r.ok ? await r.json() : null);
    if (current && Notification.permission !== "granted") {
      await call("DELETE", "/subscription"); // the browser no longer lets us show anything
      show(null);
    }
  }

  function key(base64) {
    const raw = atob(base64.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  async function turnOn() {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") { show(null); say(permission === "denied" ? "denied" : "off"); return; }
    try {
      const reg = await navigator.serviceWorker.ready;
      const { server_key: serverKey } = await (await call("GET", "/server_key")).json();
      let sub = await reg.pushManager.getSubscription();
      if (sub && sub.options.applicationServerKey) {
        const had = btoa(String.fromCharCode(...new Uint8Array(sub.options.applicationServerKey)))
          .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        if (had !== serverKey) { await sub.unsubscribe(); sub = null; }
      }
      sub = sub || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(serverKey) });
      const r = await call("PUT", "/subscription", { ...sub.toJSON(), language: root.dataset.language, previews: false });
      if (!r.ok) throw new Error(String(r.status));
      show(await r.json());
    } catch (e) {
      show(null);
      say("failed");
    }
  }

  async function turnOff() {
    await call("DELETE", "/subscription");
    try {
      const reg = await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.getSubscription();
      if (sub) await sub.unsubscribe();
    } catch (e) { /* the server has forgotten it either way */ }
    show(null);
  }

  async function change(body) {
    const r = await call("PATCH", "/subscription", body);
    if (r.ok) { show(await r.json()); say("saved"); }
  }

  device.addEventListener("change", () => (device.checked ? turnOn() : turnOff()));
  previews.addEventListener("change", () => change({ previews: previews.checked }));
  for (const k of kinds) k.addEventListener("change", () => change({ alerts: alerts() }));
  load();
})();
