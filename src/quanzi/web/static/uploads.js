// Photos of a composer (Moments, the square), uploaded one by one as they are chosen: each is
// shrunk in the browser first (long side at most 2560 px, JPEG at quality 0.85; the server
// decodes, re-encodes and strips it again anyway), sent to POST /uploads with a progress bar,
// and shown as failed with a Retry when refused, with the server's reason in the person's
// language. The form waits for the uploads and then sends their ids (media_ids) instead of
// the files; nothing typed is lost. Without script the form sends the files itself.
(function () {
  "use strict";

  const LONG_SIDE = 2560;
  const QUALITY = 0.85;
  const KEEP_BELOW = 1_500_000; // bytes: a JPEG this small and not too large is sent as it is

  document.querySelectorAll("form[data-uploads]").forEach(setup);

  // A form sent by HTMX whose body the server's edge refused (413, JSON in English, before any
  // page could answer) must not put that JSON in the page: say it in the person's language.
  const refusals = document.getElementById("refusals");
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    const type = xhr.getResponseHeader("content-type") || "";
    if (xhr.status < 400 || !type.startsWith("application/json") || !refusals) return;
    event.detail.shouldSwap = false;
    sayRefused(xhr.status);
  });

  function sayRefused(status) {
    const toast = document.getElementById("toast");
    const note = document.createElement("p");
    note.className = "toast toast-error";
    note.dataset.autohide = "";
    note.textContent = status === 413 ? refusals.dataset.tooLarge : refusals.dataset.failed;
    toast.replaceChildren(note);
    setTimeout(() => note.remove(), 5000);
  }

  // The chat composer (app.js) sends its picture with fetch: it shrinks it the same way, and
  // says a refusal that came as JSON the same way.
  window.quanziUploads = { shrink: shrink, sayRefused: sayRefused };

  function setup(form) {
    const input = form.querySelector("input[type=file][data-upload-input]");
    const tiles = form.querySelector("[data-tiles]");
    if (!input || !tiles) return;
    const adder = tiles.querySelector("[data-adder]");
    const error = form.querySelector("[data-upload-error]");
    const counter = form.querySelector("[data-upload-count]");
    const say = form.dataset;
    const max = Number(say.maxPhotos || 9);
    const items = [];
    input.removeAttribute("name"); // the files go to /uploads, not with the form

    function showError(message) {
      if (!error) return;
      error.textContent = message || "";
      error.hidden = !message;
    }

    function refresh() {
      items.forEach((item, i) => {
        item.img.alt = say.alt.replace("{n}", String(i + 1));
        item.remove.setAttribute("aria-label", say.remove.replace("{n}", String(i + 1)));
        item.progress.setAttribute("aria-label", say.progress.replace("{n}", String(i + 1)));
      });
      if (adder) adder.hidden = items.length >= max;
      if (counter) counter.textContent = items.length ? say.count.replace("{n}", String(items.length)) : "";
      form.querySelectorAll("input[name=media_ids]").forEach((el) => el.remove());
      items.filter((item) => item.state === "done").forEach((item) => {
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "media_ids";
        hidden.value = item.id;
        form.appendChild(hidden);
      });
      tiles.hidden = items.length === 0 && !adder;
    }

    input.addEventListener("change", () => {
      const files = Array.from(input.files || []);
      input.value = "";
      const room = max - items.length;
      showError(files.length > room ? say.tooMany : "");
      files.slice(0, Math.max(room, 0)).forEach(add);
      refresh();
    });

    function add(file) {
      const tile = document.createElement("li");
      tile.className = "up-tile";
      const img = document.createElement("img");
      const local = URL.createObjectURL(file);
      img.src = local;
      const progress = document.createElement("progress");
      progress.className = "up-progress";
      progress.max = 100;
      progress.value = 0;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "up-remove";
      remove.textContent = "×";
      tile.append(img, progress, remove);
      if (adder && adder.parentElement === tiles) adder.before(tile);
      else tiles.appendChild(tile);
      const item = { file, tile, img, progress, remove, local, state: "working", id: null, xhr: null, waiters: [] };
      items.push(item);
      remove.addEventListener("click", () => {
        if (item.xhr) item.xhr.abort();
        URL.revokeObjectURL(item.local);
        items.splice(items.indexOf(item), 1);
        tile.remove();
        settle(item);
        refresh();
        input.focus();
      });
      start(item);
    }

    function setState(item, state) {
      item.state = state;
      item.tile.dataset.state = state;
    }

    async function start(item) {
      setState(item, "working");
      item.progress.value = 0;
      item.tile.querySelectorAll(".up-failed, .up-retry").forEach((el) => el.remove());
      let body;
      try {
        body = await shrink(item.file);
      } catch (e) {
        body = item.file; // the server says what it thinks of it
      }
      if (!items.includes(item)) return;
      send(item, body);
    }

    function send(item, blob) {
      const xhr = new XMLHttpRequest();
      item.xhr = xhr;
      const data = new FormData();
      data.append("file", blob, blob === item.file ? item.file.name : "photo.jpg");
      xhr.open("POST", "/uploads");
      xhr.setRequestHeader("X-CSRF-Token", document.body.dataset.csrf || "");
      xhr.responseType = "text";
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) item.progress.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", () => {
        item.xhr = null;
        let answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status === 201 && answer && answer.id) {
          item.id = answer.id;
          item.progress.value = 100;
          setState(item, "done");
          refresh();
          settle(item);
        } else if (xhr.status === 413) {
          fail(item, say.tooLarge);
        } else {
          fail(item, (answer && answer.error && answer.error.message) || say.failed);
        }
      });
      xhr.addEventListener("error", () => { item.xhr = null; fail(item, say.offline); });
      xhr.send(data);
    }

    function fail(item, message) {
      if (!items.includes(item)) return;
      setState(item, "failed");
      const note = document.createElement("p");
      note.className = "up-failed";
      note.textContent = message;
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "up-retry";
      retry.textContent = say.retry;
      retry.addEventListener("click", () => { showError(""); start(item); });
      item.tile.append(retry, note);
      showError(message);
      refresh();
      settle(item);
    }

    function settle(item) {
      const waiters = item.waiters.splice(0);
      waiters.forEach((resolve) => resolve());
    }

    function settled() {
      return Promise.all(items.filter((item) => item.state === "working")
        .map((item) => new Promise((resolve) => item.waiters.push(resolve))));
    }

    // Sending waits for the uploads; a photo that failed keeps the form here (Retry or remove).
    let waiting = false;
    form.addEventListener("submit", (event) => {
      if (form.dataset.uploadsReady === "1") { delete form.dataset.uploadsReady; return; }
      const working = items.some((item) => item.state === "working");
      const failed = items.some((item) => item.state === "failed");
      if (!working && !failed) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (failed) { showError(say.notAll); return; }
      if (waiting) return;
      waiting = true;
      showError("");
      if (counter) counter.textContent = say.waiting;
      const submitter = event.submitter;
      settled().then(() => {
        waiting = false;
        refresh();
        if (items.some((item) => item.state !== "done")) {
          if (items.some((item) => item.state === "failed")) showError(say.notAll);
          return;
        }
        form.dataset.uploadsReady = "1";
        if (submitter && submitter.form === form) form.requestSubmit(submitter);
        else form.requestSubmit();
      });
    }, true);
  }

  // A photo as a phone takes it is 3 to 12 MB: drawn again at most LONG_SIDE px on its long
  // side and encoded as JPEG. GIFs (which may move) and small JPEGs go as they are.
  async function shrink(file) {
    if (file.type === "image/gif" || !/^image\/(jpeg|png|webp)$/.test(file.type)) return file;
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const long = Math.max(bitmap.width, bitmap.height);
    if (long <= LONG_SIDE && file.type === "image/jpeg" && file.size <= KEEP_BELOW) {
      bitmap.close();
      return file;
    }
    const ratio = Math.min(1, LONG_SIDE / long);
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * ratio));
    canvas.height = Math.max(1, Math.round(bitmap.height * ratio));
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff"; // transparent PNGs on white, as JPEG has no transparency
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob) return file;
    return blob.size < file.size ? blob : file;
  }
})();
