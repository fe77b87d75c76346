// Drag-and-drop onto the verify form. The form works without this: the
// file input and the submit button are plain HTML. This only lets a file be
// dropped on the dashed area and shows which file was chosen.
(function () {
  "use strict";
  // With scripts on, the dashed area (a label for the input) and the name
  // shown under it replace the browser's own file button, whose words
  // follow the browser's language rather than the page's.
  document.documentElement.classList.add("js");
  var drop = document.getElementById("drop");
  var input = document.getElementById("file");
  var name = document.getElementById("drop-name");
  if (!drop || !input || !name) { return; }
  function show() {
    var f = input.files && input.files[0];
    name.textContent = f ? name.getAttribute("data-chosen") + " " + f.name : "";
  }
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length > 0) {
      input.files = e.dataTransfer.files;
      show();
    }
  });
})();
