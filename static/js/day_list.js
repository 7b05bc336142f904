// The flow board between polls: the "now" line and the waiting / in-room minutes move with
// the clock. The server answers the one-minute poll with 304 when no data changed, so these
// are kept current here rather than by a new page.
(function () {
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
  tick();
  setInterval(tick, 30000);
  document.body.addEventListener("htmx:afterSwap", tick);
})();
