// Keyboard shortcuts and row links. No inline script: the page's CSP allows only this file.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function setUpQueue() {
    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "n") { var next = document.getElementById("take-next"); if (next) { event.preventDefault(); next.click(); } }
    });
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
    if (!rows.length) return;
    var index = -1;
    function select(i) {
      if (index >= 0) rows[index].classList.remove("selected");
      index = Math.max(0, Math.min(rows.length - 1, i));
      rows[index].classList.add("selected");
      rows[index].scrollIntoView({ block: "nearest" });
    }
    rows.forEach(function (row) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a")) return;
        window.location.href = row.getAttribute("data-href");
      });
    });
    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "j") { select(index + 1); event.preventDefault(); }
      else if (event.key === "k") { select(index - 1); event.preventDefault(); }
      else if (event.key === "Enter" && index >= 0) { window.location.href = rows[index].getAttribute("data-href"); }
    });
  }

  function click(id) {
    var element = document.getElementById(id);
    if (element) element.click();
  }

  function focus(id) {
    var element = document.getElementById(id);
    if (element) element.focus();
  }

  function setUpItem() {
    var body = document.getElementById("draft-body");
    if (body) {
      body.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); click("approve"); }
      });
    }
    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      var actions = { a: function () { click("approve"); }, s: function () { click("save"); },
        i: function () { focus("intent-select"); }, e: function () { focus("escalate-note"); },
        r: function () { click("resolve"); }, q: function () { window.location.href = "/console/queue"; } };
      if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpQueue();
    setUpItem();
  });
})();
