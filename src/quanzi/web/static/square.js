// The square (广场): the character counter of the compose box (its photos: uploads.js), the
// "New posts" button fed by the live stream, and replying to a comment without a reload.
// Every post shown comes from the server's fragments; this script only decides when to fetch.
(function () {
  "use strict";

  const body = document.body;
  const view = body.dataset.view || "";
  if (!view.startsWith("square")) return;

  // Compose boxes: characters used against the limit.

  function length(text) {
    return Array.from(text).length; // characters, as the server counts them
  }

  document.querySelectorAll("[data-compose]").forEach((form) => {
    const text = form.querySelector("textarea[data-limit]");
    const counter = form.querySelector("[data-counter]");
    const submit = form.querySelector("button[type=submit]");

    function count() {
      if (!text || !counter) return;
      const limit = Number(text.dataset.limit);
      const used = length(text.value);
      counter.textContent = used + "/" + limit;
      counter.classList.toggle("sq-over", used > limit);
      if (submit) submit.disabled = used > limit;
    }
    if (text) {
      text.addEventListener("input", count);
      count();
    }

    // The button waits while the form is sent (hx-disabled-elt); the browser's back button
    // may bring this page back from its cache with a count to redo.
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) count();
    });
  });

  // Timelines: each post once, and "New posts" when the stream says there are some.

  const posts = document.getElementById("posts");
  const newPosts = document.getElementById("new-posts");

  function shownIds() {
    if (!posts) return [];
    return Array.from(posts.querySelectorAll(":scope > li > [data-post-id]"), (el) => el.dataset.postId);
  }

  function newest() {
    let top = 0n;
    shownIds().forEach((id) => {
      const n = BigInt(id);
      if (n > top) top = n;
    });
    return top;
  }

  function dedupe() {
    if (!posts) return;
    const seen = new Set();
    posts.querySelectorAll(":scope > li > [data-post-id]").forEach((el) => {
      const id = el.dataset.postId;
      if (seen.has(id)) el.parentElement.remove();
      else seen.add(id);
    });
    const empty = posts.querySelector(":scope > li.empty");
    if (empty && seen.size) empty.remove();
  }

  if (posts) {
    posts.addEventListener("htmx:afterSwap", dedupe);
  }

  if (posts && newPosts) {
    body.addEventListener("qz:posts", (event) => {
      const id = event.detail && event.detail.post_id;
      if (!id || shownIds().includes(String(id))) return;
      if (BigInt(id) > newest()) newPosts.hidden = false;
    });
    document.addEventListener("htmx:configRequest", (event) => {
      if (event.detail.elt !== newPosts) return;
      const top = newest();
      if (top > 0n) event.detail.parameters.since_id = top.toString();
    });
    newPosts.addEventListener("htmx:afterRequest", (event) => {
      if (!event.detail.successful) return;
      newPosts.hidden = true;
      dedupe();
      const first = posts.querySelector(":scope > li > [data-post-id]");
      if (first) first.scrollIntoView({ block: "nearest" });
    });
  }

  // Comments: "Reply" fills the comment form instead of reloading the page.

  const comments = document.getElementById("comments");
  const form = document.getElementById("comment-form");
  if (comments && form) {
    const field = form.querySelector("[data-reply-field]");
    const replying = form.querySelector("[data-replying]");
    const label = form.querySelector("[data-replying-text]");
    const text = form.querySelector("textarea");
    comments.addEventListener("click", (event) => {
      const target = event.target.closest("[data-action]");
      if (!target) return;
      if (target.dataset.action === "reply") {
        event.preventDefault();
        field.value = target.dataset.comment;
        label.textContent = (form.dataset.replyLabel || "") + " @" + target.dataset.name + ":";
        replying.hidden = false;
        text.focus();
      } else if (target.dataset.action === "cancel-reply") {
        event.preventDefault();
        field.value = "";
        replying.hidden = true;
        text.focus();
      }
    });
  }
})();
