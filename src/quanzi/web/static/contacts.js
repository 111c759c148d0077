// Contacts: typing in the search box of the contact list narrows the list to the contacts whose
// remark, name or handle contains the text (Enter searches everyone, on the server).
(function () {
  "use strict";

  const box = document.querySelector("input[data-filter]");
  if (!box) return;
  const none = document.getElementById("contacts-none");

  function apply() {
    const list = document.querySelector(box.dataset.filter);
    if (!list) return;
    const wanted = box.value.trim().toLowerCase();
    let shown = 0;
    list.querySelectorAll(":scope > [data-search]").forEach((row) => {
      const hit = !wanted || row.dataset.search.includes(wanted);
      row.hidden = !hit;
      if (hit) shown += 1;
    });
    if (none) none.hidden = !wanted || shown > 0;
    document.body.classList.toggle("contacts-filtering", Boolean(wanted));
  }

  box.addEventListener("input", apply);
  document.addEventListener("htmx:afterSwap", apply); // the list came back after a live refresh
  apply();
})();
