// Click a header to sort its table by that column; numbers (data-sort) sort as numbers. Click again: reverse.
function sortTable(id, column) {
  var table = document.getElementById(id);
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var ascending = table.getAttribute("data-column") != column || table.getAttribute("data-order") != "asc";
  function key(row) {
    var td = row.cells[column];
    var raw = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent;
    var num = parseFloat(raw);
    return isNaN(num) || !td.hasAttribute("data-sort") ? raw.toLowerCase() : num;
  }
  rows.sort(function (a, b) {
    var x = key(a), y = key(b);
    if (typeof x !== typeof y) { x = String(x); y = String(y); }
    return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
  });
  rows.forEach(function (row) { body.appendChild(row); });
  table.setAttribute("data-column", column);
  table.setAttribute("data-order", ascending ? "asc" : "desc");
}
