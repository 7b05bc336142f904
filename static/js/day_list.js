// The flow board between polls: the "now" line and the waiting / in-room minutes move with
// the clock, kept current here rather than by a new page.
//
// The one-minute poll is conditional: pages carry patient data, so the site forbids the
// browser to store them (Cache-Control: no-store), and the browser cache cannot revalidate.
// This script keeps the fragment's ETag itself, sends it as If-None-Match, and leaves the
// list as it is when the server answers 304 Not Modified.
(function () {
  var etag = null;

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".day-timeline[data-start]").forEach(function (timeline) {
      var start = Date.parse(timeline.dataset.start), end = Date.parse(timeline.dataset.end);
      var line = timeline.querySelector(".now-line");
      if (!line) return;
      if (now < start || now > end) { line.classList.add("d-none"); return; }
      line.style.left = ((now - start) / (end - start) * 100).toFixed(2) + "%";
      line.classList.remove("d-none");
    });
    document.querySelectorAll(".flow-clock[data-since]").forEach(function (clock) {
      var minutes = Math.max(0, Math.floor((now - Date.parse(clock.dataset.since)) / 60000));
      clock.textContent = clock.dataset.word + " " + minutes + " min";
    });
  }

  function isPoll(event) { return event.detail.elt && event.detail.elt.id === "day-body"; }

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (isPoll(event) && etag) { event.detail.headers["If-None-Match"] = etag; }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var sent = isPoll(event) && event.detail.xhr.getResponseHeader("ETag");
    if (sent) { etag = sent; }
  });
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (isPoll(event) && event.detail.xhr.status === 304) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      var updated = document.querySelector("[data-updated]");
      if (updated) { updated.textContent = new Date().toTimeString().slice(0, 5); }
    }
  });
  tick();
  setInterval(tick, 30000);
  document.body.addEventListener("htmx:afterSwap", tick);
})();
