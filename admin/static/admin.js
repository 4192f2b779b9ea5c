// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // Phone width: the menu folds behind one button (without JS it stays open).
  var toggle = document.getElementById("navtoggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); return; }
    // Sending a case back to the unit that just returned it: ask, and confirm for the server.
    var back = form.getAttribute && form.getAttribute("data-return-confirm");
    var chosen = form.querySelector && form.querySelector("select[name=unit_id] option:checked");
    var confirmBox = form.querySelector && form.querySelector("input[name=confirm_return]");
    if (back && chosen && chosen.getAttribute("data-returned") && confirmBox && !confirmBox.checked) {
      if (!window.confirm(back)) { ev.preventDefault(); return; }
      confirmBox.checked = true;
    }
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
