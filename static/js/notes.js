// Notes and files: a progress bar while a file uploads. htmx sends the form with XHR and
// reports its progress as "htmx:xhr:progress" on the form; the bar's width is set through
// the CSSOM (the Content-Security-Policy refuses style="" attributes, not this).
(function () {
  document.body.addEventListener("htmx:xhr:progress", (event) => {
    const form = event.target.closest ? event.target.closest("[data-upload-progress]") : null;
    const { loaded, total } = event.detail || {};
    if (!form || !total) return;
    const percent = Math.min(100, Math.round((loaded * 100) / total));
    const track = form.querySelector(".progress");
    const bar = track.querySelector(".progress-bar");
    track.classList.remove("d-none");
    track.setAttribute("aria-valuenow", String(percent));
    bar.style.width = `${percent}%`;
    bar.textContent = `${percent} %`;
  });
  // A refused upload (network error, 413 from a proxy) leaves the bar: hide it again.
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const form = event.target.closest ? event.target.closest("[data-upload-progress]") : null;
    if (form && !event.detail.successful) form.querySelector(".progress").classList.add("d-none");
  });
})();
