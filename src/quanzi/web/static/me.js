// The Me tab: a preview of a new profile photo before it is saved, and copying my profile link.
(function () {
  "use strict";

  // Profile: show the picture chosen, before it is uploaded.
  const input = document.getElementById("avatar-input");
  if (input) {
    const preview = document.getElementById("avatar-preview");
    const current = document.getElementById("avatar-current");
    const clear = document.getElementById("avatar-clear");
    const remove = document.getElementById("avatar-remove");
    let url = null;
    const show = (file) => {
      if (url) URL.revokeObjectURL(url);
      url = file ? URL.createObjectURL(file) : null;
      preview.hidden = !file;
      current.hidden = !!file;
      clear.hidden = !file;
      if (file) {
        preview.src = url;
        if (remove) remove.checked = false;
      } else {
        preview.removeAttribute("src");
      }
    };
    input.addEventListener("change", () => show(input.files[0] || null));
    clear.addEventListener("click", () => {
      input.value = "";
      show(null);
      input.focus();
    });
  }

  // QR card: copy the link to my profile.
  document.querySelectorAll("[data-copy]").forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    const label = button.textContent;
    button.addEventListener("click", async () => {
      field.select();
      let copied = false;
      try {
        await navigator.clipboard.writeText(field.value);
        copied = true;
      } catch (e) {
        copied = document.execCommand && document.execCommand("copy");
      }
      if (copied) {
        button.textContent = button.dataset.done;
        setTimeout(() => { button.textContent = label; }, 2000);
      }
    });
  });
})();
