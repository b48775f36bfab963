// Typeaheads (contacts.forms.LookupWidget) and the quick "new organization / new contact"
// dialogs of the deal form. htmx fetches the suggestions; this file only moves the highlight,
// puts the chosen record's name and id into the form, and opens and closes the dialogs.
// The server checks every id it receives.
(function () {
  const parts = (lookup) => ({
    input: lookup.querySelector("input[role=combobox]"),
    hidden: lookup.querySelector("input[type=hidden]"),
    list: lookup.querySelector("[role=listbox]"),
  });

  function isOpen(lookup) {
    return !parts(lookup).list.classList.contains("d-none");
  }

  function setOpen(lookup, open) {
    const { input, list } = parts(lookup);
    list.classList.toggle("d-none", !open);
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) highlight(lookup, null);
  }

  function options(lookup) {
    return Array.from(parts(lookup).list.querySelectorAll(".lookup-option"));
  }

  function highlight(lookup, option) {
    const { input } = parts(lookup);
    options(lookup).forEach((item) => {
      const active = item === option;
      item.classList.toggle("active", active);
      item.setAttribute("aria-selected", active ? "true" : "false");
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function move(lookup, step) {
    const all = options(lookup);
    if (!all.length) return;
    const current = all.findIndex((item) => item.classList.contains("active"));
    const next = current === -1 ? (step > 0 ? 0 : all.length - 1) : (current + step + all.length) % all.length;
    highlight(lookup, all[next]);
  }

  function select(lookup, id, label) {
    const { input, hidden } = parts(lookup);
    input.value = label;
    hidden.value = id;
    setOpen(lookup, false);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function choose(lookup, option) {
    if (option.dataset.create !== undefined) {
      setOpen(lookup, false);
      openQuickCreate(lookup, option.dataset.create);
    } else if (option.dataset.id) {
      select(lookup, option.dataset.id, option.dataset.label);
    }
  }

  document.addEventListener("keydown", (event) => {
    const input = event.target.closest && event.target.closest("[data-lookup] input[role=combobox]");
    if (!input) return;
    const lookup = input.closest("[data-lookup]");
    const open = isOpen(lookup);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open && options(lookup).length) setOpen(lookup, true);
      move(lookup, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && open) {
      const active = options(lookup).find((item) => item.classList.contains("active"));
      if (active) {
        event.preventDefault(); // choose, do not submit the form
        choose(lookup, active);
      }
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopImmediatePropagation(); // close the list, not the dialog around it
      setOpen(lookup, false);
    }
  }, true); // capture: before a Bootstrap modal around the form sees the key

  // Typing makes the chosen id stale: the server then reads the text instead.
  document.addEventListener("input", (event) => {
    const lookup = event.target.closest && event.target.closest("[data-lookup]");
    if (lookup && event.target === parts(lookup).input) parts(lookup).hidden.value = "";
  });

  // Keep the focus in the box while an option is clicked, then take the option.
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest && event.target.closest("[data-lookup] [role=listbox]")) event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    const option = event.target.closest && event.target.closest("[data-lookup] .lookup-option");
    if (option) choose(option.closest("[data-lookup]"), option);
  });
  document.addEventListener("focusout", (event) => {
    const lookup = event.target.closest && event.target.closest("[data-lookup]");
    if (lookup && !lookup.contains(event.relatedTarget)) setOpen(lookup, false);
  });

  // Fresh suggestions: show them while the box still has the focus, keeping the highlight
  // on the same record when it is still there (answers can arrive after an arrow key).
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const list = event.detail.target;
    if (!list.matches || !list.matches("[data-lookup] [role=listbox]")) return;
    const active = list.querySelector(".lookup-option.active");
    list.dataset.activeOption = active ? active.id : "";
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const list = event.detail.target;
    if (!list.matches || !list.matches("[data-lookup] [role=listbox]")) return;
    const lookup = list.closest("[data-lookup]");
    setOpen(lookup, document.activeElement === parts(lookup).input && list.children.length > 0);
    const kept = list.dataset.activeOption && document.getElementById(list.dataset.activeOption);
    if (kept && isOpen(lookup)) highlight(lookup, kept);
  });

  // Quick create --------------------------------------------------------------------------

  function openQuickCreate(lookup, text) {
    const dialog = document.getElementById(lookup.dataset.createDialog);
    if (!dialog) return;
    dialog.crmLookup = lookup;
    const params = new URLSearchParams({ name: text || "" });
    const narrow = lookup.dataset.narrowBy && document.getElementById(lookup.dataset.narrowBy);
    if (narrow && narrow.value) {
      const narrowLookup = narrow.closest("[data-lookup]");
      params.set("organization_id", narrow.value);
      params.set("organization", parts(narrowLookup).input.value);
    }
    const body = dialog.querySelector(".quick-create-body");
    body.replaceChildren();
    dialog.showModal();
    htmx.ajax("GET", `${dialog.dataset.url}?${params}`, { target: body, swap: "innerHTML" }).then(() => {
      const first = body.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    });
  }

  function closeQuickCreate(dialog) {
    dialog.close();
    dialog.querySelector(".quick-create-body").replaceChildren();
    const lookup = dialog.crmLookup;
    if (lookup) {
      // Back to the box, without opening its suggestions again: the choice is made.
      parts(lookup).input.dataset.quiet = "1";
      parts(lookup).input.focus();
    }
  }

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const input = event.detail.elt;
    const trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (!input.dataset || !input.dataset.quiet) return;
    delete input.dataset.quiet;
    if (trigger && trigger.type === "focus") event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const opener = event.target.closest && event.target.closest("[data-quick-create-open]");
    if (opener) {
      event.preventDefault();
      const lookup = opener.closest("[data-lookup]");
      openQuickCreate(lookup, parts(lookup).hidden.value ? "" : parts(lookup).input.value);
      return;
    }
    const dialog = event.target.closest && event.target.closest("dialog.quick-create");
    if (!dialog) return;
    if (event.target.closest("[data-quick-create-close]")) {
      closeQuickCreate(dialog);
    } else if (event.target.closest("[data-quick-create-use]")) {
      const button = event.target.closest("[data-quick-create-use]");
      if (dialog.crmLookup) select(dialog.crmLookup, button.dataset.id, button.dataset.label);
      closeQuickCreate(dialog);
    }
  });

  // The dialog sits inside the deal dialog (a Bootstrap modal): Escape closes only it.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const dialog = event.target.closest && event.target.closest("dialog.quick-create");
    if (dialog) {
      event.stopPropagation();
      event.preventDefault();
      closeQuickCreate(dialog);
    }
  }, true);

  // Created: the record goes into the typeahead that asked for it.
  document.body.addEventListener("lookup:created", (event) => {
    const dialog = document.querySelector(`dialog.quick-create[data-kind="${event.detail.kind}"][open]`);
    if (!dialog) return;
    if (dialog.crmLookup) select(dialog.crmLookup, String(event.detail.id), event.detail.label);
    closeQuickCreate(dialog);
  });

  // "Cancel" on a form shown in place of nothing (the list pages' new-record panel).
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-remove-closest]");
    if (button) button.closest(button.dataset.removeClosest).remove();
  });
})();
