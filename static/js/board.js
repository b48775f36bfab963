// The pipeline board: drag and drop with SortableJS, a keyboard "Move to" dialog, the
// "Add deal" dialog, and live updates. The server decides everything; this file only sends
// what the user did and re-fetches what the server says is stale.
(function () {
  let pendingStale = new Set();
  let pendingReload = false;
  window.crmBoardDragging = false;

  function previousCard(card) {
    let node = card.previousElementSibling;
    while (node && !node.classList.contains("deal-card")) node = node.previousElementSibling;
    return node;
  }

  function moveCard(card, stageId, afterId) {
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: card,
      swap: "outerHTML",
      values: { stage: stageId, after: afterId || "", version: card.dataset.version },
    });
  }

  function onDrop(event) {
    window.crmBoardDragging = false;
    const card = event.item;
    const moved = event.from !== event.to || event.oldIndex !== event.newIndex;
    if (moved) {
      const after = previousCard(card);
      moveCard(card, event.to.dataset.stageId, after ? after.dataset.dealId : "");
      event.to.querySelectorAll(".column-empty").forEach((el) => el.remove());
    }
    flushPending();
  }

  function makeSortable(list) {
    if (list.dataset.sortable) return;
    list.dataset.sortable = "1";
    new Sortable(list, {
      group: "deals",
      draggable: ".deal-card",
      filter: ".move-to, .column-empty",
      preventOnFilter: false,
      animation: 150,
      // Sortable's own drag (not the browser's HTML5 drag and drop): the same feel with a
      // mouse and on touch screens, and columns scroll while dragging.
      forceFallback: true,
      fallbackOnBody: true,
      delay: 180,
      delayOnTouchOnly: true,
      ghostClass: "opacity-50",
      chosenClass: "shadow",
      onStart: () => { window.crmBoardDragging = true; },
      onEnd: onDrop,
    });
  }

  function reloadColumn(stageId) {
    const column = document.getElementById(`column-${stageId}`);
    if (!column) return;
    htmx.ajax("GET", column.dataset.columnUrl, { source: column, target: column, swap: "outerHTML" });
  }

  function reloadBoard() {
    const board = document.getElementById("board");
    if (!board) return;
    htmx.ajax("GET", window.location.pathname + window.location.search, {
      source: board, target: board, swap: "outerHTML",
    });
  }

  function flushPending() {
    if (window.crmBoardDragging) return;
    if (pendingReload) {
      pendingReload = false;
      pendingStale.clear();
      reloadBoard();
      return;
    }
    pendingStale.forEach(reloadColumn);
    pendingStale.clear();
  }

  htmx.onLoad((root) => {
    const lists = root.matches && root.matches(".column-cards") ? [root] : [];
    root.querySelectorAll && lists.push(...root.querySelectorAll(".column-cards"));
    lists.forEach(makeSortable);
  });

  // The poll (hx-trigger="every 3s" on #board-poller) skips its turn while the tab is hidden
  // or a card is being dragged. Cancelling htmx:confirm does that without a trigger filter,
  // which htmx would have to eval (the Content-Security-Policy forbids it).
  document.body.addEventListener("htmx:confirm", (event) => {
    if (event.target.id !== "board-poller") return;
    if (document.hidden || window.crmBoardDragging) event.preventDefault();
  });

  document.body.addEventListener("board:stale", (event) => {
    (event.detail.stages || []).forEach((id) => pendingStale.add(String(id)));
    flushPending();
  });
  document.body.addEventListener("board:reload", () => {
    pendingReload = true;
    flushPending();
  });

  // Keyboard and screen-reader path: "Move to…" opens a dialog listing the stages.
  document.body.addEventListener("click", (event) => {
    const trigger = event.target.closest(".move-to");
    if (!trigger) return;
    event.preventDefault();
    const card = trigger.closest(".deal-card");
    const form = document.getElementById("move-form");
    form.setAttribute("action", card.dataset.moveUrl);
    form.setAttribute("hx-post", card.dataset.moveUrl);
    htmx.process(form);
    form.elements.version.value = card.dataset.version;
    form.querySelector(".move-deal-title").textContent = card.dataset.title;
    form.querySelectorAll("input[name=stage]").forEach((radio) => {
      radio.checked = radio.value === card.dataset.stageId;
    });
    bootstrap.Modal.getOrCreateInstance(document.getElementById("move-dialog")).show();
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt && event.detail.elt.id === "move-form") {
      bootstrap.Modal.getOrCreateInstance(document.getElementById("move-dialog")).hide();
    }
  });
  document.body.addEventListener("deal-dialog:close", () => {
    bootstrap.Modal.getOrCreateInstance(document.getElementById("deal-dialog")).hide();
  });
})();
