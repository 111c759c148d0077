// quanzi web client: the frame around every page (docs/web.md). The count of what waits in
// the page title, the service worker that makes the client installable, and the offline page.
(function () {
  "use strict";

  // "(3) 聊天 · 圈子": unread messages and notifications (a friend request is one of them),
  // kept current as app.js changes the badges (it sets their data-count as the live stream
  // tells it).
  const badges = ["badge-chats", "badge-me"]
    .map((id) => document.getElementById(id))
    .filter(Boolean);
  const bareTitle = document.title.replace(/^\(\d+\+?\) /, "");
  function showCount() {
    const n = badges.reduce((sum, el) => sum + (Number(el.dataset.count) || 0), 0);
    const title = n ? "(" + (n > 99 ? "99+" : n) + ") " + bareTitle : bareTitle;
    if (document.title !== title) document.title = title;
  }
  if (badges.length) {
    const watch = new MutationObserver(showCount);
    badges.forEach((el) => watch.observe(el, { attributes: true, attributeFilter: ["data-count"] }));
    showCount();
  }

  // The offline page (the service worker shows it in place of a page the network could not
  // bring): try again on request, when the browser says it is online, and every 15 s.
  const retry = document.getElementById("offline-retry");
  if (retry) {
    const reload = () => location.reload();
    retry.addEventListener("click", reload);
    window.addEventListener("online", reload);
    setInterval(() => {
      fetch("/offline", { cache: "no-store" }).then((r) => { if (r.ok) reload(); }, () => {});
    }, 15000);
  }

  // The service worker: the offline page and this version's static files, nothing personal.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => {
      document.body.dataset.serviceWorker = "registered";
    }, () => {
      document.body.dataset.serviceWorker = "failed";
    });
  }
})();
