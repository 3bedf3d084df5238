/* Filters, search and sorting for the citecheck HTML report.
   Every row is in the HTML; this only hides and reorders them. Everything it needs
   is read from the DOM (data-status, data-drift, data-doc, data-v and cell text),
   so no page data is ever part of this code. */
(function () {
  "use strict";
  var controls = document.getElementById("controls");
  var table = document.getElementById("links");
  if (!controls || !table) {
    return;
  }
  var tbody = table.tBodies[0];
  var search = document.getElementById("search");
  var docSelect = document.getElementById("doc");
  var shown = document.getElementById("shown");
  var driftOnly = document.getElementById("drift-only");
  var boxes = controls.querySelectorAll("input[name=status]");
  var headers = table.tHead.querySelectorAll("th[data-col]");

  var items = Array.prototype.map.call(tbody.rows, function (row, index) {
    var docs = [];
    row.querySelectorAll("[data-doc]").forEach(function (el) {
      docs.push(el.getAttribute("data-doc"));
    });
    var text = "";
    row.querySelectorAll(".q").forEach(function (cell) {
      text += " " + cell.textContent.toLowerCase();
    });
    return {
      row: row,
      index: index,
      status: row.getAttribute("data-status"),
      drifted: row.hasAttribute("data-drift"),
      docs: docs,
      text: text
    };
  });
  // The drift filter is offered only when a link has drifted.
  document.getElementById("drift-filter").hidden =
    !items.some(function (item) { return item.drifted; });

  var allDocs = {};
  items.forEach(function (item) {
    item.docs.forEach(function (doc) { allDocs[doc] = true; });
  });
  Object.keys(allDocs).sort().forEach(function (doc) {
    var option = document.createElement("option");
    option.value = doc;
    option.textContent = doc;
    docSelect.appendChild(option);
  });

  function apply() {
    var wanted = {};
    boxes.forEach(function (box) { wanted[box.value] = box.checked; });
    var doc = docSelect.value;
    var query = search.value.trim().toLowerCase();
    var visible = 0;
    items.forEach(function (item) {
      var show = wanted[item.status] === true &&
        (!driftOnly.checked || item.drifted) &&
        (doc === "" || item.docs.indexOf(doc) !== -1) &&
        (query === "" || item.text.indexOf(query) !== -1);
      item.row.hidden = !show;
      if (show) {
        visible += 1;
      }
    });
    shown.textContent = "Showing " + visible + " of " + items.length + " links.";
  }

  function sortKey(item, col) {
    var cell = item.row.cells[col];
    var value = cell.getAttribute("data-v");
    return value === null ? cell.textContent.trim().toLowerCase() : value;
  }

  function sortBy(th) {
    var col = Number(th.getAttribute("data-col"));
    var descending = th.getAttribute("aria-sort") === "ascending";
    var sign = descending ? -1 : 1;
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var keyed = items.map(function (item) { return { item: item, key: sortKey(item, col) }; });
    keyed.sort(function (a, b) {
      if (a.key === b.key) {
        return a.item.index - b.item.index;
      }
      if (a.key === "") {
        return 1;
      }
      if (b.key === "") {
        return -1;
      }
      return (a.key < b.key ? -1 : 1) * sign;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (entry) { fragment.appendChild(entry.item.row); });
    tbody.appendChild(fragment);
  }

  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () { sortBy(th); });
  });
  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  docSelect.addEventListener("change", apply);
  driftOnly.addEventListener("change", apply);
  search.addEventListener("input", apply);
  controls.addEventListener("submit", function (event) { event.preventDefault(); });
  controls.hidden = false;
  apply();
})();
