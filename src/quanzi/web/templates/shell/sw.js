// quanzi's service worker (docs/web.md, Installable). It keeps two kinds of thing, and only
// these: the offline page, and the static files of this version (their addresses carry
// ?v={{ version }}). Pages, fragments, the API and media are never stored: they hold personal
// data, and they pass straight to the network. A page that cannot be loaded because the
// network is down is answered with the offline page, which reloads when the network is back.
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
