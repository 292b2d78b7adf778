// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("click", function (event) {
  // "Add a room" on the house form: copy the last empty row.
  var add = event.target.closest("[data-add-row]");
  if (!add) return;
  var rows = document.getElementById(add.getAttribute("data-add-row"));
  var last = rows.lastElementChild.cloneNode(true);
  last.querySelectorAll("input").forEach(function (input) { input.value = ""; });
  rows.appendChild(last);
  last.querySelector("input").focus();
});
