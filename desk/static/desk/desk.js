/* motcua staff desk: dialogs, drag and drop of scans, procedure search, scan preview. No library. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // No inline handlers anywhere (a Content Security Policy may forbid them).
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-dialog]").forEach(function (button) {
      button.addEventListener("click", function () {
        var dialog = document.getElementById(button.dataset.dialog);
        if (dialog) dialog.showModal();
      });
    });
    document.querySelectorAll("dialog [data-close]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });
    document.querySelectorAll("dialog[data-open]").forEach(function (dialog) { dialog.showModal(); });

    // Several scans at once: each component's box takes a file chosen or dropped on it.
    document.querySelectorAll("[data-drop]").forEach(function (zone) {
      var input = zone.querySelector("input[type=file]");
      var chosen = zone.querySelector(".chosen");
      function show() {
        chosen.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
      }
      input.addEventListener("change", show);
      zone.addEventListener("dragover", function (event) { event.preventDefault(); zone.classList.add("over"); });
      zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        zone.classList.remove("over");
        if (event.dataTransfer.files.length) {
          var transfer = new DataTransfer();
          transfer.items.add(event.dataTransfer.files[0]);
          input.files = transfer.files;
          show();
        }
      });
    });

    // Scans open inline, loaded only when asked for.
    document.querySelectorAll("details.scan").forEach(function (details) {
      details.addEventListener("toggle", function () {
        var viewer = details.querySelector(".viewer");
        if (!details.open || viewer.firstChild) return;
        var element;
        if (details.dataset.type === "application/pdf") {
          element = document.createElement("iframe");
        } else {
          element = document.createElement("img");
          element.alt = details.querySelector("summary").textContent;
        }
        element.src = details.dataset.src;
        viewer.appendChild(element);
      });
    });

    // Procedure picker: filter the options as one types (ignoring accents), show its checklist.
    function fold(text) {
      return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
    }
    document.querySelectorAll("[data-filter]").forEach(function (search) {
      var select = document.getElementById(search.dataset.filter);
      search.addEventListener("input", function () {
        var wanted = fold(search.value.trim());
        var first = null;
        Array.prototype.forEach.call(select.options, function (option) {
          if (!option.value) return;
          var match = !wanted || fold(option.text).indexOf(wanted) !== -1;
          option.hidden = !match;
          if (match && !first) first = option;
        });
        if (first && (select.selectedIndex <= 0 || select.options[select.selectedIndex].hidden)) {
          select.value = first.value;
          select.dispatchEvent(new Event("change"));
        }
      });
    });
    var procedure = document.getElementById("id_procedure");
    if (procedure) {
      var showChecklist = function () {
        var none = document.querySelector("[data-no-procedure]");
        document.querySelectorAll("[data-procedure]").forEach(function (list) {
          var shown = list.dataset.procedure === procedure.value;
          list.hidden = !shown;
          list.querySelectorAll("input").forEach(function (box) { box.disabled = !shown; });
        });
        if (none) none.hidden = !!procedure.value;
      };
      procedure.addEventListener("change", showChecklist);
      showChecklist();
    }
  });
})();
