// Toasts: server messages on page load, and "toast" events sent by htmx responses
// (HX-Trigger: {"toast": {"message": "...", "level": "success"}}).
(function () {
  function showToast(message, level) {
    const template = document.getElementById("toast-template");
    const toast = template.content.firstElementChild.cloneNode(true);
    toast.classList.add("text-bg-" + (level === "error" ? "danger" : level || "secondary"));
    toast.querySelector(".toast-body").textContent = message;
    document.getElementById("toasts").appendChild(toast);
    toast.addEventListener("hidden.bs.toast", () => toast.remove());
    bootstrap.Toast.getOrCreateInstance(toast).show();
  }
  window.crmToast = showToast;

  // The Content-Security-Policy refuses style="" attributes. A value computed on the server
  // (a bar's length, an indent) comes as data-css-vars="--name: value; ..." instead, and is
  // set here through the CSSOM as CSS custom properties, which the stylesheets use.
  function applyCssVars(root) {
    const elements = Array.from(root.querySelectorAll ? root.querySelectorAll("[data-css-vars]") : []);
    if (root.matches && root.matches("[data-css-vars]")) elements.push(root);
    for (const element of elements) {
      for (const declaration of element.dataset.cssVars.split(";")) {
        const colon = declaration.indexOf(":");
        const name = declaration.slice(0, colon).trim();
        const value = declaration.slice(colon + 1).trim();
        if (colon > 0 && name.startsWith("--") && value) element.style.setProperty(name, value);
      }
    }
  }
  htmx.onLoad(applyCssVars);

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".toast[data-autoshow]").forEach((el) => {
      el.addEventListener("hidden.bs.toast", () => el.remove());
      bootstrap.Toast.getOrCreateInstance(el).show();
    });
  });
  document.body.addEventListener("toast", (event) => {
    const detail = event.detail || {};
    showToast(detail.message || detail.value, detail.level);
  });
  // Show the server's explanation when an htmx request fails (403, 404, 409, 500).
  document.body.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Trigger")) return;
    showToast(xhr.status === 0 ? "Network error: the server did not answer." : `Request failed (${xhr.status}).`, "error");
  });
})();
