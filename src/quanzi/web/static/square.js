// The square (广场): the character counter and photo previews of the compose box, the
// "New posts" button fed by the live stream, and replying to a comment without a reload.
// Every post shown comes from the server's fragments; this script only decides when to fetch.
(function () {
  "use strict";

  const body = document.body;
  const view = body.dataset.view || "";
  if (!view.startsWith("square")) return;

  // Compose boxes: characters used against the limit, photos (at most 9) with previews.

  function length(text) {
    return Array.from(text).length; // characters, as the server counts them
  }

  document.querySelectorAll("[data-compose]").forEach((form) => {
    const text = form.querySelector("textarea[data-limit]");
    const counter = form.querySelector("[data-counter]");
    const submit = form.querySelector("button[type=submit]");
    const files = form.querySelector("input[type=file]");
    const previews = form.querySelector("[data-previews]");
    const error = form.querySelector("[data-compose-error]");

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

    function showError(message) {
      if (!error) return;
      error.textContent = message || "";
      error.hidden = !message;
    }

    if (files && previews) {
      files.addEventListener("change", () => {
        previews.querySelectorAll("img").forEach((img) => URL.revokeObjectURL(img.src));
        previews.replaceChildren();
        const chosen = Array.from(files.files || []);
        const max = Number(files.dataset.max || 9);
        if (chosen.length > max) {
          files.value = "";
          showError(files.dataset.tooMany);
          previews.hidden = true;
          return;
        }
        showError("");
        chosen.forEach((file) => {
          const item = document.createElement("li");
          const img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = file.name;
          item.appendChild(img);
          previews.appendChild(item);
        });
        previews.hidden = chosen.length === 0;
      });
    }

    // One post per press: the button waits while the form is sent (and wakes up again when
    // the browser's back button brings this page back from its cache).
    form.addEventListener("submit", () => {
      if (submit) setTimeout(() => { submit.disabled = true; }, 0);
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) count();
      if (event.persisted && submit && !text) submit.disabled = false;
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
