// Keyboard for the review queue: j/k move, a approve, r reject, x select, Enter open, u undo, ? help.
// It only presses the page's own buttons and links, so everything also works without JavaScript.
"use strict";
(function () {
  const items = () => Array.from(document.querySelectorAll(".item"));
  let index = -1;

  function focus(next) {
    const all = items();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, next));
    all.forEach((el, i) => el.classList.toggle("focused", i === index));
    all[index].focus();
  }

  function current() {
    const all = items();
    if (index < 0 && all.length) focus(0);
    return items()[index];
  }

  function press(selector) {
    const item = current();
    const button = item && item.querySelector(selector);
    if (button) button.click();
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    const help = document.getElementById("help");
    switch (event.key) {
      case "j": focus(index + 1); break;
      case "k": focus(index - 1); break;
      case "a": press("button.approve"); break;
      case "r": press("button.reject"); break;
      case "x": { const box = current() && current().querySelector("input[type=checkbox]"); if (box) box.checked = !box.checked; break; }
      case "Enter": { const item = current(); if (item && item.dataset.href && target === item) window.location.assign(item.dataset.href); else return; break; }
      case "u": { const undo = document.getElementById("undo-form"); if (undo) undo.requestSubmit(); break; }
      case "?": if (help && typeof help.showModal === "function") help.showModal(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("focusin", (event) => {
    const all = items();
    const at = all.indexOf(event.target.closest ? event.target.closest(".item") : null);
    if (at >= 0) { index = at; all.forEach((el, i) => el.classList.toggle("focused", i === at)); }
  });
})();
