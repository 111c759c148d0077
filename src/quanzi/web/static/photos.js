// The photo viewer: a photo of a grid (templates/_photos.html) opens here instead of as a raw
// file. Swipe or the arrow keys go between the photos of the same Moment, post or chat; pinch,
// the wheel or a double tap zoom; Esc, the close button or the browser's back closes it. The
// author's alt text is the caption. Focus stays inside while it is open and goes back to the
// photo after. Without script the photo's link opens the full image.
(function () {
  "use strict";

  const template = document.getElementById("photo-viewer");
  if (!template) return;

  const MAX_ZOOM = 5;
  const SWIPE = 50; // px of horizontal travel that turns the page

  let viewer = null; // the open dialog
  let links = [];
  let index = 0;
  let opener = null;
  let inerted = [];
  let pushed = false;
  // zoom and pan of the photo shown: screen = layout + (tx, ty) + scale * point
  let scale = 1, tx = 0, ty = 0;
  const pointers = new Map();
  let gesture = null;
  let lastTap = null;

  function groupOf(link) {
    return link.closest("[data-photo-group]") || link.closest("#messages") || link.closest("[data-photos]");
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-photo]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const group = groupOf(link);
    const all = group ? Array.from(group.querySelectorAll("a[data-photo]")) : [link];
    open(all, Math.max(0, all.indexOf(link)), link);
  });

  function open(list, i, from) {
    if (viewer) return;
    links = list;
    opener = from;
    viewer = template.content.firstElementChild.cloneNode(true);
    inerted = Array.from(document.body.children).filter((el) => el.tagName !== "SCRIPT" && el.tagName !== "TEMPLATE" && !el.inert);
    inerted.forEach((el) => { el.inert = true; });
    document.body.appendChild(viewer);
    document.documentElement.classList.add("pv-open");
    viewer.addEventListener("click", onClick);
    viewer.addEventListener("keydown", onKey);
    const stage = viewer.querySelector(".pv-stage");
    stage.addEventListener("pointerdown", onDown);
    stage.addEventListener("pointermove", onMove);
    stage.addEventListener("pointerup", onUp);
    stage.addEventListener("pointercancel", onUp);
    stage.addEventListener("wheel", onWheel, { passive: false });
    viewer.querySelector(".pv-img").addEventListener("dragstart", (event) => event.preventDefault());
    history.pushState({ photoViewer: true }, "");
    pushed = true;
    show(i);
    viewer.querySelector("[data-pv=close]").focus();
  }

  // Closing goes through history when the viewer added an entry, so that back closes it too.
  function close() {
    if (!viewer) return;
    if (pushed && history.state && history.state.photoViewer) history.back();
    else closeNow();
  }

  function closeNow() {
    if (!viewer) return;
    viewer.remove();
    viewer = null;
    pushed = false;
    pointers.clear();
    gesture = null;
    document.documentElement.classList.remove("pv-open");
    inerted.forEach((el) => { el.inert = false; });
    inerted = [];
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  }

  window.addEventListener("popstate", () => { if (viewer) { pushed = false; closeNow(); } });

  function show(i) {
    index = Math.min(Math.max(i, 0), links.length - 1);
    const link = links[index];
    const img = viewer.querySelector(".pv-img");
    const thumb = link.querySelector("img");
    img.src = link.href;
    img.alt = thumb ? thumb.alt : "";
    viewer.querySelector(".pv-caption").textContent = link.dataset.caption || "";
    viewer.querySelector(".pv-count").textContent = viewer.dataset.of
      .replace("{n}", String(index + 1)).replace("{total}", String(links.length));
    const prev = viewer.querySelector("[data-pv=prev]");
    const next = viewer.querySelector("[data-pv=next]");
    prev.disabled = index === 0;
    next.disabled = index === links.length - 1;
    prev.hidden = next.hidden = links.length < 2;
    if (document.activeElement && document.activeElement.disabled) viewer.querySelector("[data-pv=close]").focus();
    zoomTo(1, 0, 0);
    [index - 1, index + 1].forEach((j) => { if (links[j]) new Image().src = links[j].href; });
  }

  function go(step) {
    if (index + step >= 0 && index + step < links.length) show(index + step);
  }

  function onClick(event) {
    const button = event.target.closest("[data-pv]");
    if (!button) return;
    const action = button.dataset.pv;
    if (action === "close") close();
    else if (action === "prev") go(-1);
    else if (action === "next") go(1);
    else if (action === "zoom") {
      const stage = viewer.querySelector(".pv-stage").getBoundingClientRect();
      zoomAt(scale > 1 ? 1 : 2.5, stage.left + stage.width / 2, stage.top + stage.height / 2);
    }
  }

  function onKey(event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); go(-1); }
    else if (event.key === "ArrowRight") { event.preventDefault(); go(1); }
    else if (event.key === "+" || event.key === "=" || event.key === "-") {
      const stage = viewer.querySelector(".pv-stage").getBoundingClientRect();
      zoomAt(scale * (event.key === "-" ? 1 / 1.5 : 1.5), stage.left + stage.width / 2, stage.top + stage.height / 2);
    } else if (event.key === "Tab") {
      const focusable = Array.from(viewer.querySelectorAll("button")).filter((b) => !b.disabled && !b.hidden && b.offsetParent !== null);
      if (!focusable.length) return;
      const first = focusable[0], last = focusable[focusable.length - 1];
      if (event.shiftKey && (document.activeElement === first || !viewer.contains(document.activeElement))) {
        event.preventDefault(); last.focus();
      } else if (!event.shiftKey && (document.activeElement === last || !viewer.contains(document.activeElement))) {
        event.preventDefault(); first.focus();
      }
    }
  }

  // Zoom: the photo is scaled about a point of the screen, which stays where it is.

  function layoutOrigin() {
    const img = viewer.querySelector(".pv-img");
    const stage = viewer.querySelector(".pv-stage").getBoundingClientRect();
    return { x: stage.left + img.offsetLeft, y: stage.top + img.offsetTop, w: img.offsetWidth, h: img.offsetHeight };
  }

  function zoomAt(next, x, y) {
    next = Math.min(Math.max(next, 1), MAX_ZOOM);
    const o = layoutOrigin();
    const px = (x - o.x - tx) / scale, py = (y - o.y - ty) / scale;
    zoomTo(next, x - o.x - next * px, y - o.y - next * py);
  }

  function zoomTo(s, x, y) {
    scale = s;
    if (scale <= 1) { scale = 1; tx = 0; ty = 0; }
    else {
      const o = viewer ? layoutOrigin() : { w: 0, h: 0 };
      // keep the photo over the stage: no panning it out of sight
      tx = Math.min(0, Math.max(x, o.w - o.w * scale));
      ty = Math.min(0, Math.max(y, o.h - o.h * scale));
    }
    if (!viewer) return;
    const img = viewer.querySelector(".pv-img");
    img.style.transform = scale === 1 ? "" : `translate(${tx}px, ${ty}px) scale(${scale})`;
    viewer.dataset.zoom = scale.toFixed(2);
  }

  function onWheel(event) {
    event.preventDefault();
    zoomAt(scale * Math.exp(-event.deltaY / 300), event.clientX, event.clientY);
  }

  function distance() {
    const [a, b] = Array.from(pointers.values());
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  function middle() {
    const [a, b] = Array.from(pointers.values());
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }

  function onDown(event) {
    if (event.target.closest("button")) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) {
      gesture = { kind: "pinch", d: distance(), scale };
    } else if (pointers.size === 1) {
      gesture = { kind: "drag", x: event.clientX, y: event.clientY, tx, ty, moved: false };
    }
  }

  function onMove(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (!gesture) return;
    if (gesture.kind === "pinch" && pointers.size === 2) {
      const m = middle();
      zoomAt(gesture.scale * (distance() / gesture.d), m.x, m.y);
    } else if (gesture.kind === "drag") {
      const dx = event.clientX - gesture.x, dy = event.clientY - gesture.y;
      if (Math.abs(dx) > 8 || Math.abs(dy) > 8) gesture.moved = true;
      if (scale > 1) zoomTo(scale, gesture.tx + dx, gesture.ty + dy);
    }
  }

  function onUp(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    const done = gesture;
    if (pointers.size > 0) {
      // one finger of a pinch lifted: go on panning with the other
      const [p] = Array.from(pointers.values());
      gesture = { kind: "drag", x: p.x, y: p.y, tx, ty, moved: true };
      return;
    }
    gesture = null;
    if (!done || done.kind !== "drag" || event.type === "pointercancel") return;
    const dx = event.clientX - done.x, dy = event.clientY - done.y;
    if (done.moved) {
      lastTap = null;
      if (scale === 1 && Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(dy)) go(dx < 0 ? 1 : -1);
      else if (scale === 1 && dy > 2 * SWIPE && Math.abs(dy) > Math.abs(dx)) close();
      return;
    }
    // a tap: two close together zoom in (about that point) or back out
    const now = event.timeStamp;
    if (lastTap && now - lastTap.t < 350 && Math.hypot(event.clientX - lastTap.x, event.clientY - lastTap.y) < 30) {
      zoomAt(scale > 1 ? 1 : 2.5, event.clientX, event.clientY);
      lastTap = null;
    } else {
      lastTap = { t: now, x: event.clientX, y: event.clientY };
    }
  }
})();
