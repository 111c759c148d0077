// Moments (朋友圈): opening the comment box and replying, live updates of the Moments on
// screen, and the audience of a new Moment. Everything a Moment shows comes from the
// server's fragment for this viewer; this script only decides when to fetch it.
(function () {
  "use strict";

  const body = document.body;
  const view = body.dataset.view || "";
  if (!view.startsWith("moments")) return;

  // Comment and reply: one box per Moment, opened by its Comment button or by a comment.

  function formOf(momentId) {
    return document.getElementById("comment-form-" + momentId);
  }

  function openForm(momentId, reply) {
    const form = formOf(momentId);
    if (!form) return;
    const input = form.querySelector("input[name=text]");
    const replyTo = form.querySelector("input[name=reply_to_id]");
    replyTo.value = reply ? reply.comment : "";
    input.placeholder = reply
      ? input.dataset.replyTemplate.replace("{name}", reply.name)
      : input.dataset.placeholder;
    form.hidden = false;
    setExpanded(momentId, true);
    input.focus();
  }

  function closeForm(momentId) {
    const form = formOf(momentId);
    if (!form) return;
    form.hidden = true;
    form.querySelector("input[name=reply_to_id]").value = "";
    setExpanded(momentId, false);
    const button = document.getElementById("comment-button-" + momentId);
    if (button) button.focus();
    refreshIfWaiting(momentId);
  }

  function setExpanded(momentId, open) {
    const button = document.getElementById("comment-button-" + momentId);
    if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".moment [data-action]");
    if (!button) return;
    const moment = button.closest(".moment");
    const momentId = moment.dataset.momentId;
    if (button.dataset.action === "comment") {
      const form = formOf(momentId);
      const replying = form && form.querySelector("input[name=reply_to_id]").value;
      if (form && !form.hidden && !replying) closeForm(momentId);
      else openForm(momentId, null);
    } else if (button.dataset.action === "reply") {
      openForm(momentId, { comment: button.dataset.comment, name: button.dataset.name });
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const form = event.target.closest && event.target.closest(".comment-form");
    if (form) closeForm(form.closest(".moment").dataset.momentId);
  });

  // After an action swapped a Moment, keep the keyboard on it: on the Comment button after
  // commenting (the box closes), on the Like button otherwise.
  let last = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    const moment = elt.closest && elt.closest(".moment");
    last = moment
      ? { id: moment.dataset.momentId, commenting: elt.classList.contains("comment-form") }
      : null;
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!last) return;
    const active = document.activeElement;
    if (!active || active === body || !active.isConnected || active.closest("[hidden]")) {
      const target = document.getElementById((last.commenting ? "comment-button-" : "like-") + last.id);
      if (target) target.focus();
    }
    last = null;
  });

  // Live: a Moment on screen that someone liked or commented on is fetched again, as this
  // viewer may see it; a new Moment shows the "New Moments" button on the feed.

  const waiting = new Set();
  const timers = new Map();

  function busy(momentId) {
    const form = formOf(momentId);
    if (!form || form.hidden) return false;
    const input = form.querySelector("input[name=text]");
    return input.value !== "" || document.activeElement === input;
  }

  function refreshIfWaiting(momentId) {
    if (waiting.has(momentId)) {
      waiting.delete(momentId);
      refresh(momentId);
    }
  }

  function refresh(momentId) {
    if (busy(momentId)) { waiting.add(momentId); return; }
    clearTimeout(timers.get(momentId));
    timers.set(momentId, setTimeout(() => load(momentId), 150));
  }

  async function load(momentId) {
    timers.delete(momentId);
    const old = document.getElementById("moment-" + momentId);
    if (!old) return;
    const response = await fetch(`/moments/${momentId}/fragment`, { credentials: "same-origin" });
    const current = document.getElementById("moment-" + momentId);
    if (!current) return;
    if (response.status === 404) { current.remove(); return; }
    if (!response.ok) return;
    if (busy(momentId)) { waiting.add(momentId); return; }
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const fresh = holder.content.firstElementChild;
    if (!fresh || fresh.id !== current.id) return;
    current.replaceWith(fresh);
    htmx.process(fresh);
  }

  document.addEventListener("focusout", (event) => {
    const form = event.target.closest && event.target.closest(".comment-form");
    if (!form) return;
    const momentId = form.closest(".moment").dataset.momentId;
    setTimeout(() => { if (!busy(momentId)) refreshIfWaiting(momentId); }, 0);
  });

  const news = document.getElementById("moments-news");
  body.addEventListener("qz:moments", (event) => {
    const p = event.detail || {};
    if (p.moment_id) {
      if (document.getElementById("moment-" + p.moment_id)) refresh(String(p.moment_id));
    } else if (p.id && p.author && news && !document.getElementById("moment-" + p.id)) {
      news.hidden = false;
    }
  });
  if (news) {
    news.addEventListener("htmx:afterRequest", (event) => {
      if (event.detail.successful) {
        news.hidden = true;
        window.scrollTo(0, 0);
      }
    });
  }

  // Posting: the audience lists are shown for "only" and "except" (photos: uploads.js).

  const form = document.getElementById("moment-form");
  if (!form) return;
  const pick = document.getElementById("audience-pick");
  function showPick() {
    const kind = form.querySelector("input[name=audience]:checked");
    pick.hidden = !kind || (kind.value !== "include" && kind.value !== "exclude");
  }
  form.querySelectorAll("input[name=audience]").forEach((radio) => {
    radio.addEventListener("change", showPick);
  });
  showPick();
})();
