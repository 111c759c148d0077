// quanzi web client: the live stream, and the few things a server-rendered page cannot do by
// itself. No framework, no build step; HTMX does the requests and swaps.
(function () {
  "use strict";

  const body = document.body;
  const csrf = body.dataset.csrf;

  // Every HTMX request carries the page's CSRF token.
  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-CSRF-Token"] = csrf;
    const chat = document.getElementById("chat");
    if (chat && chat.contains(event.detail.elt) && event.detail.verb === "post") {
      event.detail.parameters.after_seq = String(lastSeq());
    }
  });

  // Buttons that ask before they act: <button data-confirm="Leave this group?">
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Toasts go away by themselves.
  function hideToasts(root) {
    root.querySelectorAll("[data-autohide]").forEach((el) => {
      setTimeout(() => el.remove(), 5000);
    });
  }
  document.addEventListener("htmx:afterSwap", (event) => hideToasts(event.target));

  // The stream: one WebSocket per page, reconnecting with backoff; a reconnect catches up.
  const stream = {
    socket: null,
    attempts: 0,
    everOpen: false,
    queue: [],
    send(frame) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(frame));
        return true;
      }
      return false;
    },
  };
  window.quanziStream = stream; // for tests and the curious

  function connect() {
    if (!body.dataset.stream) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + body.dataset.stream);
    stream.socket = socket;
    let lost = null;
    socket.addEventListener("open", () => {
      stream.attempts = 0;
      document.getElementById("connection").hidden = true;
      body.dataset.live = "true";
      // what came between the page being made and the stream opening, or while it was down
      if (stream.everOpen) { catchUp(); fire("qz:reconnected"); } else fetchNew();
      stream.everOpen = true;
      markRead();
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    });
    socket.addEventListener("close", (event) => {
      body.dataset.live = "false";
      if (event.code === 4001) { location.href = "/login"; return; }
      lost = setTimeout(() => { document.getElementById("connection").hidden = false; }, 1500);
      const delay = Math.min(15000, 300 * Math.pow(2, stream.attempts++)) * (0.5 + Math.random() / 2);
      setTimeout(() => { clearTimeout(lost); connect(); }, delay);
    });
  }

  function handle(frame) {
    const p = frame.payload || {};
    switch (frame.type) {
      case "message.new":
        onMessage(p);
        break;
      case "conversation.read":
        setBadge("badge-chats", p.total_unread);
        fire("qz:chats");
        break;
      case "conversation.updated":
        fire("qz:chats");
        break;
      case "typing":
        onTyping(p);
        break;
      case "notification.new":
        // A notification about something already notified refreshes the old one, so the
        // count comes from the server rather than adding one.
        refreshNotificationBadge();
        if (p.kind === "friend_request") bump("badge-contacts", 1);
        fire("qz:notifications");
        break;
      case "notifications.read":
        refreshNotificationBadge();
        break;
      case "moment.new":
      case "moment.deleted":
      case "moment.liked":
      case "moment.unliked":
      case "moment.commented":
      case "moment.comment_deleted":
        fire("qz:moments", p);
        if (frame.type === "moment.new") showDot("badge-discover");
        break;
      case "post.new":
        fire("qz:posts", p);
        break;
      default:
        break;
    }
  }

  function fire(name, detail) {
    body.dispatchEvent(new CustomEvent(name, { detail: detail || {} }));
  }

  let chatsTimer = null;
  body.addEventListener("qz:chats", () => {
    // the list fragment reloads through hx-trigger; badges come from the API
    clearTimeout(chatsTimer);
    chatsTimer = setTimeout(refreshChatBadge, 300);
  });

  function setBadge(id, n) {
    const el = document.getElementById(id);
    if (!el || n === undefined || n === null) return;
    el.dataset.count = String(n);
    el.textContent = n > 99 ? "99+" : String(n);
    el.hidden = !n;
  }
  function bump(id, by) {
    const el = document.getElementById(id);
    if (el) setBadge(id, Number(el.dataset.count || 0) + by);
  }
  function showDot(id) {
    const el = document.getElementById(id);
    if (el && !body.dataset.view.startsWith("moments")) el.hidden = false;
  }
  async function getJSON(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      return response.ok ? response.json() : null;
    } catch (e) {
      return null; // offline: the badges catch up when the stream is back
    }
  }
  async function refreshChatBadge() {
    const data = await getJSON("/api/quanzi/v1/conversations/unread");
    if (data) setBadge("badge-chats", data.total);
  }
  async function refreshNotificationBadge() {
    const data = await getJSON("/api/quanzi/v1/notifications/unread_count");
    if (!data) return;
    setBadge("badge-me", data.count);
    setBadge("badge-me-row", data.count);  // the Notifications row of the Me page
  }

  // A chat on screen: messages in seq order, each once.
  const chat = document.getElementById("chat");
  const list = document.getElementById("messages");
  const pending = document.getElementById("pending");
  const chatId = chat ? chat.dataset.conversation : null;
  let fetching = false;
  let fetchAgain = false;

  function lastSeq() {
    if (!list) return 0;
    let last = 0;
    list.querySelectorAll(":scope > [data-seq]").forEach((el) => {
      last = Math.max(last, Number(el.dataset.seq));
    });
    return last;
  }

  // After every change to the list (a live fragment, a send's answer, older messages, a
  // recall): each seq once, recalled messages turned into their notice, time separators only
  // between messages more than five minutes apart, and sent messages no longer pending.
  function tidy() {
    if (!list) return;
    const seen = new Set();
    list.querySelectorAll(":scope > [data-seq]").forEach((el) => {
      if (seen.has(el.dataset.seq)) el.remove();
      else seen.add(el.dataset.seq);
    });
    list.querySelectorAll(":scope > [data-recalls]:not([data-done])").forEach((marker) => {
      const target = document.getElementById("m" + marker.dataset.recalls);
      if (target && !target.classList.contains("msg-recalled")) {
        target.replaceWith(marker.querySelector("template").content.cloneNode(true));
      }
      marker.dataset.done = "true";
    });
    let before = null;
    list.querySelectorAll(":scope > .time-sep, :scope > [data-time]").forEach((el) => {
      if (el.classList.contains("time-sep")) {
        const next = el.nextElementSibling;
        const orphan = !next || next.classList.contains("time-sep");
        if (orphan || (before && Date.parse(el.dataset.time) - before <= SEPARATED_MS)) el.remove();
      } else {
        before = Date.parse(el.dataset.time);
      }
    });
    if (pending) {
      list.querySelectorAll(":scope > [data-client]").forEach((el) => {
        const waiting = pending.querySelector(`[data-client-id="${CSS.escape(el.dataset.client)}"]`);
        if (waiting) waiting.remove();
      });
    }
    showReedit();
  }
  const SEPARATED_MS = 5 * 60 * 1000;

  // The newest message stays in view while the reader has not scrolled up, also when pictures
  // above it finish loading.
  let pinned = true;
  function nearBottom() {
    const scroller = document.scrollingElement;
    return scroller.scrollHeight - scroller.scrollTop - window.innerHeight < 80;
  }
  function toBottom() {
    window.scrollTo(0, document.scrollingElement.scrollHeight);
    pinned = true;
  }
  if (list) {
    // Only the reader scrolling up lets go (content growing never moves the page up).
    let lastTop = document.scrollingElement.scrollTop;
    window.addEventListener("scroll", () => {
      const top = document.scrollingElement.scrollTop;
      if (nearBottom()) pinned = true;
      else if (top < lastTop - 2) pinned = false;
      lastTop = top;
    }, { passive: true });
    new ResizeObserver(() => { if (pinned) toBottom(); }).observe(chat);
    new MutationObserver(tidy).observe(list, { childList: true });
  }

  function fetchNew() {
    if (!chatId) return;
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    const stick = pinned;
    htmx.ajax("GET", `/chats/${chatId}/messages?after_seq=${lastSeq()}`, {
      target: "#messages", swap: "beforeend",
    }).then(() => {
      tidy();
      if (stick) toBottom();
      markRead();
    }).finally(() => {
      fetching = false;
      if (fetchAgain) { fetchAgain = false; fetchNew(); }
    });
  }

  function onMessage(message) {
    if (chatId && String(message.conversation_id) === chatId) {
      if (Number(message.seq) > lastSeq()) fetchNew();
      hideTyping(String(message.sender_id));
    } else if (String(message.sender_id) !== body.dataset.me && (message.kind === "text" || message.kind === "image")) {
      refreshChatBadge();
    }
    fire("qz:chats");
  }

  let lastRead = 0;
  function markRead() {
    if (!chatId || document.visibilityState !== "visible") return;
    const seq = lastSeq();
    if (seq > lastRead && stream.send({ type: "read", conversation_id: chatId, seq: seq })) {
      lastRead = seq;
    }
  }
  document.addEventListener("visibilitychange", markRead);

  function catchUp() {
    fetchNew();
    fire("qz:chats");
    refreshChatBadge();
    refreshNotificationBadge();
  }

  // Typing: tell others at most every 2.5 s; show theirs for 4 s.
  const typing = document.getElementById("typing");
  let typingTimer = null;
  let typingWho = null;
  function onTyping(p) {
    if (!typing || String(p.conversation_id) !== chatId) return;
    const names = JSON.parse(chat.dataset.names || "{}");
    const name = names[String(p.account_id)] || "…";
    typing.textContent = (typing.dataset.template || "{name} …").replace("{name}", name);
    typing.hidden = false;
    typingWho = String(p.account_id);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typing.hidden = true; }, 4000);
  }
  function hideTyping(who) {
    if (typing && who === typingWho) typing.hidden = true;
  }

  const composer = document.getElementById("composer");
  const text = composer ? composer.querySelector("textarea") : null;
  const replyField = composer ? composer.querySelector("[name=reply_to_seq]") : null;
  const replying = document.getElementById("replying");

  function replyTo(seq) {
    if (!composer) return;
    const item = document.getElementById("m" + seq);
    replyField.value = seq;
    document.getElementById("replying-text").textContent = item ? item.querySelector(".bubble").dataset.text : "";
    replying.hidden = false;
    text.focus();
  }

  if (composer) {
    const idField = composer.querySelector("[name=client_msg_id]");
    const fileInput = composer.querySelector("input[type=file]");
    const preview = document.getElementById("image-preview");
    let typedAt = 0;

    text.addEventListener("input", () => {
      const now = Date.now();
      if (now - typedAt > 2500 && stream.send({ type: "typing", conversation_id: chatId })) typedAt = now;
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        sendNow();
      }
    });
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      sendNow();
    });

    // Sending clears the box at once (as WeChat does) and shows the message as "sending" below
    // the others until the server has it. Sends go one after another, in the order they were
    // made, each with its own client id; while the browser is offline they wait, and they go
    // when it is back (the `online` event, or the stream reconnecting). A send that keeps
    // meeting network errors, or that is refused, shows as failed: tapping it sends it again.
    // Every attempt carries the same client id, which the server keeps once.
    const outbox = [];
    let pumping = false;
    function sendNow() {
      const hasFile = fileInput.files && fileInput.files.length > 0;
      if (!text.value.trim() && !hasFile) return;
      const data = new FormData(composer);
      const item = { id: idField.value, data: data, el: pendingItem(idField.value, text.value, hasFile) };
      if (hasFile) item.file = fileInput.files[0]; // shrunk before it is sent (uploads.js)
      text.value = "";
      fileInput.value = "";
      preview.hidden = true;
      replyField.value = "";
      replying.hidden = true;
      composer.querySelectorAll("[data-mention]").forEach((box) => { box.checked = false; });
      idField.value = newId();
      outbox.push(item);
      toBottom();
      pump();
    }

    function pendingItem(id, words, hasFile) {
      const li = document.createElement("li");
      li.className = "msg mine pending";
      li.dataset.clientId = id;
      const wrap = document.createElement("div");
      wrap.className = "bubble-wrap";
      const bubble = document.createElement("div");
      bubble.className = "bubble";
      const p = document.createElement("p");
      p.textContent = words || "[" + (chat.dataset.picture || "Picture") + "]";
      bubble.appendChild(p);
      const state = document.createElement("button");
      state.type = "button";
      state.className = "send-state link";
      state.dataset.action = "resend";
      state.disabled = true;
      state.textContent = chat.dataset.sending;
      wrap.append(bubble, state);
      li.appendChild(wrap);
      pending.appendChild(li);
      return li;
    }

    function setState(item, failed) {
      item.el.classList.toggle("failed", failed);
      const state = item.el.querySelector(".send-state");
      state.disabled = !failed;
      state.textContent = failed ? chat.dataset.failed : chat.dataset.sending;
    }

    async function pump() {
      if (pumping) return;
      pumping = true;
      try {
        let item;
        while ((item = outbox.find((i) => !i.failed)) && navigator.onLine) {
          const done = await post(item);
          if (done === "offline") break;
          outbox.splice(outbox.indexOf(item), 1);
          if (done === "failed") {
            item.failed = true;
            setState(item, true);
            failedItems.set(item.id, item);
          }
        }
      } finally {
        pumping = false;
      }
    }
    const failedItems = new Map();
    function resend(id) {
      const item = failedItems.get(id);
      if (!item) return;
      failedItems.delete(id);
      item.failed = false;
      setState(item, false);
      outbox.push(item);
      pump();
    }
    function resendAll() {
      Array.from(failedItems.keys()).forEach(resend);
      pump();
    }
    window.addEventListener("online", resendAll);
    body.addEventListener("qz:reconnected", resendAll);

    async function post(item) {
      const uploads = window.quanziUploads;
      if (item.file && uploads) {
        try {
          const shrunk = await uploads.shrink(item.file);
          item.data.set(fileInput.name, shrunk, shrunk === item.file ? item.file.name : "picture.jpg");
        } catch (e) { /* a file the browser cannot draw goes as it is; the server says why */ }
        item.file = null;
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        item.data.set("after_seq", String(lastSeq()));
        let response;
        try {
          response = await fetch(composer.action, {
            method: "POST",
            body: item.data,
            credentials: "same-origin",
            headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
          });
        } catch (e) {
          if (!navigator.onLine) return "offline";
          await new Promise((done) => setTimeout(done, 500 * (attempt + 1)));
          continue;
        }
        const html = await response.text();
        if (response.ok) {
          const stick = pinned;
          htmx.swap(list, html, { swapStyle: "beforeend" }, { contextElement: list });
          item.el.remove();
          tidy();
          if (stick) toBottom();
          markRead();
          return "sent";
        }
        if ((response.headers.get("content-type") || "").startsWith("application/json") && uploads) {
          uploads.sayRefused(response.status); // the edge's 413, in the person's language
        } else {
          showToast(html);
        }
        return "failed";
      }
      return "failed";
    }

    fileInput.addEventListener("change", () => {
      const file = fileInput.files[0];
      if (!file) { preview.hidden = true; return; }
      preview.querySelector("img").src = URL.createObjectURL(file);
      preview.hidden = false;
    });
    composer.querySelectorAll("[data-mention]").forEach((box) => {
      box.addEventListener("change", () => {
        if (box.checked) {
          text.value = (text.value + " @" + box.dataset.mention + " ").replace(/^ /, "");
          text.focus();
        }
      });
    });
    chat.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (!button) return;
      const action = button.dataset.action;
      if (action === "cancel-reply") {
        replyField.value = "";
        replying.hidden = true;
      } else if (action === "clear-image") {
        fileInput.value = "";
        preview.hidden = true;
      } else if (action === "resend") {
        resend(button.closest("[data-client-id]").dataset.clientId);
      } else if (action === "reedit") {
        const kept = reeditText(button.dataset.seq);
        if (kept !== null) {
          text.value = kept;
          text.focus();
        }
      }
    });
  }

  function showToast(html) {
    const toast = document.getElementById("toast");
    htmx.swap(toast, html, { swapStyle: "innerHTML" }, { contextElement: toast });
    hideToasts(toast);
  }

  // Recalling: the recaller may take the text back into the box for a few minutes
  // ("Re-edit"); the text is kept in this tab only, never sent anywhere.
  const REEDIT_MS = 5 * 60 * 1000;
  function reeditKey(seq) { return `qz-reedit:${chatId}:${seq}`; }
  function reeditText(seq) {
    try {
      const kept = JSON.parse(sessionStorage.getItem(reeditKey(seq)) || "null");
      return kept && kept.until > Date.now() ? kept.text : null;
    } catch (e) { return null; }
  }
  function showReedit() {
    if (!list || !composer) return;
    list.querySelectorAll("[data-action=reedit][hidden]").forEach((button) => {
      const kept = reeditText(button.dataset.seq);
      if (kept === null) return;
      button.hidden = false;
      const left = JSON.parse(sessionStorage.getItem(reeditKey(button.dataset.seq))).until - Date.now();
      setTimeout(() => { button.hidden = true; }, left);
    });
  }
  async function recall(seq) {
    const item = document.getElementById("m" + seq);
    const words = item ? item.querySelector(".bubble > p") : null;
    const form = new FormData();
    form.set("after_seq", String(lastSeq()));
    if (words) {
      try {
        sessionStorage.setItem(reeditKey(seq), JSON.stringify({ text: words.textContent, until: Date.now() + REEDIT_MS }));
      } catch (e) { /* storage full or disabled: no re-edit */ }
    }
    let response;
    try {
      response = await fetch(`/chats/${chatId}/messages/${seq}/recall`, {
        method: "POST", body: form, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
      });
    } catch (e) { return; }
    const html = await response.text();
    if (response.ok) {
      htmx.swap(list, html, { swapStyle: "beforeend" }, { contextElement: list });
      tidy();
    } else {
      showToast(html);
    }
  }

  // The message menu: Reply, Copy, Forward, Recall (one's own, while allowed). Opened by a long press,
  // a right click, or Enter / the context-menu key / Shift+F10 on a focused message.
  const menu = document.getElementById("msg-menu");
  let menuFor = null;
  function openMenu(item, x, y) {
    if (!menu) return;
    menuFor = item;
    const until = Number(item.dataset.recallUntil || 0);
    menu.querySelector("[data-menu=recall]").hidden = !(until > Date.now());
    menu.querySelector("[data-menu=reply]").hidden = !composer;
    menu.querySelector("[data-menu=copy]").hidden = !item.querySelector(".bubble > p");
    menu.hidden = false;
    const box = menu.getBoundingClientRect();
    menu.style.left = Math.max(8, Math.min(x, window.innerWidth - box.width - 8)) + "px";
    menu.style.top = Math.max(8, Math.min(y, window.innerHeight - box.height - 8)) + "px";
    const first = menu.querySelector("button:not([hidden])");
    if (first) first.focus();
  }
  function closeMenu(refocus) {
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    if (refocus && menuFor && document.body.contains(menuFor)) menuFor.focus();
    menuFor = null;
  }
  function menuItem(target) {
    const item = target.closest("#messages > .msg[data-seq]");
    return item && !item.classList.contains("msg-system") ? item : null;
  }
  if (list && menu) {
    list.addEventListener("contextmenu", (event) => {
      const item = menuItem(event.target);
      if (!item || event.target.closest("a")) return;
      event.preventDefault();
      openMenu(item, event.clientX, event.clientY);
    });
    let press = null;
    list.addEventListener("pointerdown", (event) => {
      const item = menuItem(event.target);
      if (!item || event.pointerType === "mouse") return;
      const x = event.clientX, y = event.clientY;
      press = { x, y, timer: setTimeout(() => { press = null; openMenu(item, x, y); }, 500) };
    });
    const cancelPress = (event) => {
      if (!press) return;
      if (event.type === "pointermove" && Math.hypot(event.clientX - press.x, event.clientY - press.y) < 10) return;
      clearTimeout(press.timer);
      press = null;
    };
    ["pointerup", "pointercancel", "pointermove"].forEach((name) => list.addEventListener(name, cancelPress));
    list.addEventListener("keydown", (event) => {
      const item = event.target.matches("#messages > .msg[data-seq]") ? menuItem(event.target) : null;
      if (!item) return;
      if (event.key === "Enter" || event.key === "ContextMenu" || (event.key === "F10" && event.shiftKey)) {
        event.preventDefault();
        const box = item.querySelector(".bubble").getBoundingClientRect();
        openMenu(item, box.left, box.bottom);
      }
    });
    menu.addEventListener("keydown", (event) => {
      const items = Array.from(menu.querySelectorAll("button:not([hidden])"));
      const at = items.indexOf(document.activeElement);
      if (event.key === "Escape") { event.preventDefault(); closeMenu(true); }
      else if (event.key === "ArrowDown") { event.preventDefault(); items[(at + 1) % items.length].focus(); }
      else if (event.key === "ArrowUp") { event.preventDefault(); items[(at - 1 + items.length) % items.length].focus(); }
      else if (event.key === "Tab") closeMenu(false);
    });
    menu.addEventListener("click", (event) => {
      const button = event.target.closest("[data-menu]");
      if (!button || !menuFor) return;
      const item = menuFor;
      closeMenu(true);
      const seq = item.dataset.seq;
      if (button.dataset.menu === "reply") replyTo(seq);
      else if (button.dataset.menu === "copy") copyText(item);
      else if (button.dataset.menu === "recall") recall(seq);
      else if (button.dataset.menu === "forward") location.href = `/chats/${chatId}/messages/${seq}/forward`;
      else if (button.dataset.menu === "select") startSelect(item);
    });
    document.addEventListener("pointerdown", (event) => {
      if (!menu.hidden && !menu.contains(event.target)) closeMenu(false);
    });
    window.addEventListener("resize", () => closeMenu(false));
  }
  // Multi-select (多选): a checkbox on each message, of the bar's form (a GET to the chooser of
  // chats, one by one or merged); a click on a message ticks it.
  const selectBar = document.getElementById("select-bar");
  const selecting = () => selectBar && !selectBar.hidden;
  function countSelected() {
    const n = list.querySelectorAll(".msg-pick:checked").length;
    document.getElementById("select-count").textContent = selectBar.dataset.count.replace("{n}", n);
    selectBar.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = n < 1 || n > 100; });
  }
  function startSelect(first) {
    if (!selectBar) return;
    list.querySelectorAll(":scope > .msg[data-seq]:not(.msg-system)").forEach((item) => {
      if (item.querySelector(".msg-pick")) return;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "msg-pick";
      box.name = "seqs";
      box.value = item.dataset.seq;
      box.setAttribute("form", "select-bar");
      box.setAttribute("aria-label", selectBar.dataset.pick);
      box.checked = item === first;
      item.prepend(box);
    });
    list.classList.add("selecting");
    selectBar.hidden = false;
    countSelected();
  }
  function endSelect() {
    list.querySelectorAll(".msg-pick").forEach((box) => box.remove());
    list.classList.remove("selecting");
    selectBar.hidden = true;
  }
  if (selectBar && list) {
    list.addEventListener("change", (event) => { if (event.target.matches(".msg-pick")) countSelected(); });
    list.addEventListener("click", (event) => {
      if (!selecting() || event.target.matches(".msg-pick")) return;
      const item = menuItem(event.target);
      const box = item && item.querySelector(".msg-pick");
      if (!box) return;
      event.preventDefault();  // not the link, picture or card under it
      event.stopPropagation();
      box.checked = !box.checked;
      countSelected();
    }, true);
    selectBar.querySelector("[data-action=end-select]").addEventListener("click", endSelect);
  }

  async function copyText(item) {
    const words = item.querySelector(".bubble > p").textContent;
    try {
      await navigator.clipboard.writeText(words);
    } catch (e) {
      const area = document.createElement("textarea");
      area.value = words;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    const said = document.getElementById("copied");
    said.textContent = said.dataset.text;
    setTimeout(() => { said.textContent = ""; }, 2000);
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  if (list) {
    tidy();
    toBottom();
  }
  hideToasts(document);
  connect();
})();
