// Refreshes the element marked data-refresh="<seconds>" in place: the page is fetched again and
// only that element is swapped, so the rest of the page (focus, scroll, form input) stays put.
(function () {
  "use strict";
  function schedule() {
    var current = document.querySelector("[data-refresh]");
    if (!current) return;
    var seconds = Math.max(2, parseInt(current.getAttribute("data-refresh"), 10) || 60);
    setTimeout(refresh, seconds * 1000);
  }
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-refresh]");
        var current = document.querySelector("[data-refresh]");
        if (fresh && current) current.replaceWith(document.adoptNode(fresh));
      })
      .catch(function () { /* keep the page as it is; try again next time */ })
      .then(schedule);
  }
  document.addEventListener("DOMContentLoaded", schedule);
})();
