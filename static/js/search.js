// The header's global search (search/views.py). "/" focuses the box unless the user is
// typing somewhere; htmx fetches the grouped results into the dropdown as they type; the
// arrow keys move through them, Enter opens the highlighted one or, with none highlighted,
// submits the form to the full results page; Escape closes the dropdown.
(function () {
  const form = () => document.querySelector("[data-search]");
  const input = () => document.getElementById("site-search-q");
  const menu = () => document.getElementById("site-search-results");

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
  }

  function options() {
    return Array.from(menu().querySelectorAll(".search-option"));
  }

  function setOpen(open) {
    const list = menu();
    if (!list) return;
    list.classList.toggle("show", open);
    input().setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) highlight(null);
  }

  function highlight(option) {
    options().forEach((item) => {
      const active = item === option;
      item.classList.toggle("active", active);
      item.setAttribute("aria-selected", active ? "true" : "false");
    });
    if (option) {
      input().setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input().removeAttribute("aria-activedescendant");
    }
  }

  function move(step) {
    const all = options();
    if (!all.length) return;
    const current = all.findIndex((item) => item.classList.contains("active"));
    const next = current === -1 ? (step > 0 ? 0 : all.length - 1) : (current + step + all.length) % all.length;
    highlight(all[next]);
  }

  document.addEventListener("keydown", (event) => {
    const box = input();
    if (!box) return;
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (event.target !== box) return;
    const open = menu().classList.contains("show");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open && options().length) setOpen(true);
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && open) {
      const active = options().find((item) => item.classList.contains("active"));
      if (active) {
        event.preventDefault();
        window.location.assign(active.href);
      }
    } else if (event.key === "Escape") {
      if (open) {
        event.preventDefault();
        setOpen(false);
      } else {
        box.blur();
      }
    }
  });

  // A new answer replaces the dropdown's content: show it while there is text to search.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target !== menu()) return;
    setOpen(input().value.trim() !== "" && document.activeElement === input());
  });

  document.addEventListener("input", (event) => {
    if (event.target === input() && input().value.trim() === "") setOpen(false);
  });

  document.addEventListener("focusin", (event) => {
    const box = input();
    if (event.target === box && box.value.trim() !== "" && options().length) setOpen(true);
  });

  // Clicking or tabbing elsewhere closes it.
  document.addEventListener("focusout", () => {
    setTimeout(() => {
      const here = form();
      if (here && !here.contains(document.activeElement)) setOpen(false);
    }, 150);
  });
  document.addEventListener("click", (event) => {
    const here = form();
    if (here && !here.contains(event.target)) setOpen(false);
  });
})();
