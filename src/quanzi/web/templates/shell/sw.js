// quanzi's service worker (docs/web.md, Installable). It keeps two kinds of thing, and only
// these: the offline page, and the static files of this version (their addresses carry
// ?v={{ version }}). Pages, fragments, the API and media are never stored: they hold personal
// data, and they pass straight to the network. A page that cannot be loaded because the
// network is down is answered with the offline page, which reloads when the network is back.
// It also shows what Web Push brings (docs/api.md, "Push"), as the server worded it.
"use strict";

const VERSION = {{ version|tojson }};
const CACHE = "quanzi-" + VERSION;
const OFFLINE = "/offline";
const PRECACHE = {{ precache|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("quanzi-") && name !== CACHE)
          .map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function versionedStatic(url) {
  return url.origin === self.location.origin && url.pathname.startsWith("/static/")
    && url.searchParams.get("v") === VERSION;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (request.mode === "navigate") {
    // the network, always; the offline page only when there is none
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    return;
  }
  if (!versionedStatic(url)) return;
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(request).then((found) => found
      || fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      })))
  );
});

// Web Push: each push is one notification, worded by the server in the device's language
// (who and what only if the person turned previews on); a newer one about the same chat
// replaces the older (its tag). A tap opens, or brings forward, the page it is about.
function pagePath(url) {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : "/chats";
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = {};
  }
  const options = {
    body: typeof data.body === "string" ? data.body : "",
    icon: "/static/icons/icon-192.png",
    data: { url: pagePath(data.url) },
  };
  if (typeof data.tag === "string" && data.tag) {
    options.tag = data.tag;
    options.renotify = true;
  }
  const title = typeof data.title === "string" && data.title ? data.title : "quanzi";
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(pagePath((event.notification.data || {}).url), self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const same = windows.find((w) => new URL(w.url).pathname === target.pathname);
      if (same) return same.focus();
      if (windows.length) return windows[0].navigate(target.href).then((w) => w && w.focus());
      return self.clients.openWindow(target.href);
    })
  );
});
