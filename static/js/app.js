/* Small behaviours without inline script or style (the Content-Security-Policy forbids both).
   - data-left / data-width (percent), data-grid-column / data-grid-row: layout values that used
     to be style="" attributes; set here through the CSSOM, which the policy allows. Applied again
     after each htmx swap (the day list refreshes itself every minute).
   - data-print on a button prints the page; data-confirm on a form asks before sending it. */
(function () {
  "use strict";
  function place(root) {
    root.querySelectorAll("[data-left]").forEach(function (el) { el.style.left = el.dataset.left + "%"; });
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
    root.querySelectorAll("[data-grid-column]").forEach(function (el) { el.style.gridColumn = el.dataset.gridColumn; });
    root.querySelectorAll("[data-grid-row]").forEach(function (el) { el.style.gridRow = el.dataset.gridRow; });
  }
  place(document);
  document.addEventListener("htmx:afterSettle", function (event) { place(event.detail.elt || document); });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
