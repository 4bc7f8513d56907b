// The gear menu opens on hover and keyboard focus with CSS alone; this makes a click or a tap
// toggle it too (Safari doesn't focus a button on click), and Escape close it.
(function () {
  document.querySelectorAll(".gear-menu").forEach(function (menu) {
    var button = menu.querySelector(".gear");
    if (!button) return;
    button.setAttribute("aria-expanded", "false");
    function set(open) {
      menu.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function (event) {
      event.stopPropagation();
      set(!menu.classList.contains("open"));
    });
    document.addEventListener("click", function (event) {
      if (!menu.contains(event.target)) set(false);
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { set(false); button.focus(); }
    });
  });
})();
