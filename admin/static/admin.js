// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); return; }
    var button = form.querySelector("button[type=submit]");
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });
  // Invite form: show only the target that fits the purpose.
  var invite = document.getElementById("invite-form");
  if (invite) {
    var purpose = invite.querySelector("select[name=purpose]");
    var unit = invite.querySelector("select[name=target_unit]").closest("label");
    var grid = invite.querySelector("select[name=target_grid]").closest("label");
    var sync = function () {
      var isGrid = purpose.value === "grid_worker";
      grid.hidden = !isGrid; unit.hidden = isGrid;
    };
    purpose.addEventListener("change", sync); sync();
  }
})();
