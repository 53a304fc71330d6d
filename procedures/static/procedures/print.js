// Buttons marked data-print print the page (no inline handlers: the Content Security Policy
// allows scripts from this site's files only).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
