/* The vocabulary page (/def/): a "copy" button for each block named by its data-copy. The button
   is hidden until this script shows it, so a page without scripts shows only the text. */
"use strict";
(function () {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    const block = document.getElementById(button.dataset.copy);
    if (!block) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      const done = function () {
        button.textContent = button.dataset.copied || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      // The clipboard API needs a secure context; elsewhere the block is selected and copied.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(block.textContent).then(done);
        return;
      }
      const range = document.createRange();
      range.selectNodeContents(block);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      if (document.execCommand("copy")) done();
    });
  }
})();
