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
  // bring): once the server answers again, load the page that was asked for. Asked at once
  // when the browser says it is online or on "Try again", else every few seconds (up to 15).
  const retry = document.getElementById("offline-retry");
  if (retry) {
    let timer = null;
    let wait = 2000;
    const check = () => {
      clearTimeout(timer);
      fetch("/offline", { cache: "no-store" }).then((r) => {
        if (r.ok) location.reload();
        else later();
      }, later);
    };
    const later = () => {
      timer = setTimeout(check, wait);
      wait = Math.min(15000, wait * 2);
    };
    const now = () => { wait = 1000; check(); };
    retry.addEventListener("click", now);
    window.addEventListener("online", now);
    later();
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
