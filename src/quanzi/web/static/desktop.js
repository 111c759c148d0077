// quanzi on a desktop (docs/web.md, "Desktop"): the list column beside the page keeps its
// place, keyboard shortcuts (next / previous chat, search, this help), the composer takes the
// focus when a chat opens, and the chat list can be narrowed by typing.
(function () {
  "use strict";

  const body = document.body;
  if (!body.dataset.me) return;
  const wide = window.matchMedia("(min-width: 1000px)");

  function shown(el) { return Boolean(el) && el.getClientRects().length > 0; }
  function typingIn(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Typing in a chat list's search box shows the chats whose title or last message has it.
  function narrow(box) {
    const root = document.querySelector(box.dataset.filterRows);
    if (!root) return;
    const wanted = box.value.trim().toLowerCase();
    root.querySelectorAll("li[data-conversation]").forEach((row) => {
      row.hidden = Boolean(wanted) && !row.textContent.toLowerCase().includes(wanted);
    });
  }
  document.addEventListener("input", (event) => {
    const box = event.target.closest && event.target.closest("[data-filter-rows]");
    if (box) narrow(box);
  });
  document.addEventListener("htmx:afterSwap", () => {
    document.querySelectorAll("[data-filter-rows]").forEach(narrow);
  });

  // The chats in the order shown: the list beside a chat, or the Chats page itself.
  function chatLinks() {
    const list = [document.getElementById("side-conversations"), document.getElementById("conversations")]
      .find(shown);
    if (!list) return [];
    return Array.from(list.querySelectorAll("li[data-conversation]:not([hidden]) a.row-link"));
  }
  function openChat(step) {
    const links = chatLinks();
    if (!links.length) return false;
    const at = links.findIndex((a) => a.getAttribute("aria-current") === "page");
    const to = at < 0 ? (step > 0 ? 0 : links.length - 1) : at + step;
    if (to < 0 || to >= links.length || to === at) return true;
    links[to].click();
    return true;
  }

  function search() {
    const box = ["chats-filter", "contacts-q", "search-q"].map((id) => document.getElementById(id)).find(shown) ||
      Array.from(document.querySelectorAll("input[type=search]")).find(shown);
    if (box) { box.focus(); box.select(); } else location.href = "/search";
  }

  const help = document.getElementById("shortcuts");
  let helpFrom = null;
  function showHelp() {
    if (!help || help.open) return;
    helpFrom = document.activeElement;
    help.showModal();
  }
  if (help) {
    help.addEventListener("close", () => { if (helpFrom && helpFrom.focus) helpFrom.focus(); });
    document.addEventListener("click", (event) => {
      if (event.target.closest && event.target.closest("[data-shortcuts]")) showHelp();
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const key = event.key;
    if (event.altKey && !event.ctrlKey && !event.metaKey && (key === "ArrowDown" || key === "ArrowUp")) {
      if (openChat(key === "ArrowDown" ? 1 : -1)) event.preventDefault();
      return;
    }
    if ((event.ctrlKey || event.metaKey) && !event.altKey && key.toLowerCase() === "k") {
      event.preventDefault();
      search();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
    if (document.querySelector("dialog[open], .pv, #msg-menu:not([hidden])")) return;
    if (key === "/") { event.preventDefault(); search(); } else if (key === "?") { event.preventDefault(); showHelp(); }
  });

  // The list beside the page keeps its place from page to page, with the open item in view.
  const side = document.getElementById("side");
  const place = "qz-side:" + location.pathname.split("/")[1];
  if (side) {
    // the page beside the list is marked in it (the chat list marks its own on the server)
    side.querySelectorAll("a[href]").forEach((a) => {
      if (a.getAttribute("href") === location.pathname) a.setAttribute("aria-current", "page");
    });
    const top = Number(sessionStorage.getItem(place));
    if (top) side.scrollTop = top;
    const open = side.querySelector("[aria-current=page]");
    if (open) open.scrollIntoView({ block: "nearest" });
    window.addEventListener("pagehide", () => sessionStorage.setItem(place, String(side.scrollTop)));
  }

  // A chat that opens on a desktop is ready for typing (on a phone that would open the
  // keyboard over it, so there it waits for a tap).
  const composer = document.getElementById("message-text");
  if (composer && wide.matches && !location.hash) composer.focus({ preventScroll: true });
})();
