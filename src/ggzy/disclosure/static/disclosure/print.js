// 打印 buttons: <button data-print> (no inline handlers, so pages stay CSP-friendly).
document.addEventListener("click", function (e) {
  var t = e.target;
  if (t && t.closest && t.closest("[data-print]")) { window.print(); }
});
