// Leads: close the "Add lead" dialog once the server has added the lead (the inbox then
// reloads itself on "leads:changed").
(function () {
  document.body.addEventListener("lead-dialog:close", () => {
    const dialog = document.getElementById("lead-dialog");
    if (dialog) bootstrap.Modal.getOrCreateInstance(dialog).hide();
  });
})();
