// loa's staff pages work without JavaScript; this only asks before a cancel and submits the
// filters when a choice changes (keyboard users keep the Filter button).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
