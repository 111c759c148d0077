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
      if (stream.everOpen) catchUp();
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
    const response = await fetch(url, { credentials: "same-origin" });
    return response.ok ? response.json() : null;
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

  function dedupe() {
    if (!list) return;
    const seen = new Set();
    list.querySelectorAll(":scope > [data-seq]").forEach((el) => {
      if (seen.has(el.dataset.seq)) el.remove();
      else seen.add(el.dataset.seq);
    });
  }

  function nearBottom() {
    const scroller = document.scrollingElement;
    return scroller.scrollHeight - scroller.scrollTop - window.innerHeight < 200;
  }
  function toBottom() {
    window.scrollTo(0, document.scrollingElement.scrollHeight);
  }

  function fetchNew() {
    if (!chatId) return;
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    const stick = nearBottom();
    htmx.ajax("GET", `/chats/${chatId}/messages?after_seq=${lastSeq()}`, {
      target: "#messages", swap: "beforeend",
    }).then(() => {
      dedupe();
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
  if (composer) {
    const text = composer.querySelector("textarea");
    const idField = composer.querySelector("[name=client_msg_id]");
    const replyField = composer.querySelector("[name=reply_to_seq]");
    const replying = document.getElementById("replying");
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

    // Sending clears the box at once (as WeChat does), so the next message can be typed while
    // this one travels. Sends go one after another, in the order they were made, each with its
    // own client id; a send that meets a network error is retried with the same id (the server
    // keeps it once), and one that is refused gives its text back if nothing new was typed.
    let chain = Promise.resolve();
    function sendNow() {
      const hasFile = fileInput.files && fileInput.files.length > 0;
      if (!text.value.trim() && !hasFile) return;
      const data = new FormData(composer);
      const draft = text.value;
      text.value = "";
      fileInput.value = "";
      preview.hidden = true;
      replyField.value = "";
      replying.hidden = true;
      composer.querySelectorAll("[data-mention]").forEach((box) => { box.checked = false; });
      idField.value = newId();
      chain = chain.then(() => post(data, draft));
    }

    async function post(data, draft) {
      for (let attempt = 0; attempt < 4; attempt++) {
        data.set("after_seq", String(lastSeq()));
        let response;
        try {
          response = await fetch(composer.action, {
            method: "POST",
            body: data,
            credentials: "same-origin",
            headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
          });
        } catch (e) {
          await new Promise((done) => setTimeout(done, 500 * (attempt + 1)));
          continue;
        }
        const html = await response.text();
        if (response.ok) {
          htmx.swap(list, html, { swapStyle: "beforeend" }, { contextElement: list });
          dedupe();
          toBottom();
          markRead();
        } else {
          const toast = document.getElementById("toast");
          htmx.swap(toast, html, { swapStyle: "innerHTML" }, { contextElement: toast });
          hideToasts(toast);
          if (!text.value) text.value = draft;
        }
        return;
      }
      if (!text.value) text.value = draft;
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
      if (action === "reply") {
        const item = document.getElementById("m" + button.dataset.seq);
        replyField.value = button.dataset.seq;
        document.getElementById("replying-text").textContent = item ? item.querySelector(".bubble").dataset.text : "";
        replying.hidden = false;
        text.focus();
      } else if (action === "cancel-reply") {
        replyField.value = "";
        replying.hidden = true;
      } else if (action === "clear-image") {
        fileInput.value = "";
        preview.hidden = true;
      }
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  if (list) {
    list.addEventListener("htmx:afterSwap", dedupe);
    document.addEventListener("htmx:oobAfterSwap", dedupe);
    toBottom();
  }
  hideToasts(document);
  connect();
})();
