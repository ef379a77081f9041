// The clerk's tablet keeps working through short network outages: the workbench
// page, its scripts and the last customer card (GET /api/panel) are answered from
// the network when it is there and from this cache when it is not. Messages typed
// offline wait in IndexedDB (clerk.js), not here. Logging out empties the cache.
"use strict";
const CACHE = "salesbot-tablet-v1";
const KEPT = (path) => path === "/" || path.startsWith("/static/") || path === "/api/panel";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !KEPT(url.pathname)) return;
  event.respondWith(
    fetch(request)
      .then((answer) => {
        if (answer.ok && !answer.redirected) {
          const copy = answer.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return answer;
      })
      .catch(() => caches.match(request).then((kept) => kept || Response.error()))
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(caches.delete(CACHE));
});
