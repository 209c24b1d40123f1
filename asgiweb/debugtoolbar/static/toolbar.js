/* The toolbar page: show one panel at a time; the close button closes the overlay. */
(function () {
  "use strict";
  var links = document.querySelectorAll(".panel-link");
  var sections = document.querySelectorAll(".panel-content");
  function show(id) {
    var found = false;
    sections.forEach(function (section) {
      var match = section.id === id;
      section.hidden = !match;
      found = found || match;
    });
    links.forEach(function (link) {
      link.classList.toggle("active", link.getAttribute("data-panel") === id);
    });
    if (!found) {
      sections.forEach(function (section) { section.hidden = !section.classList.contains("default"); });
    }
  }
  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var id = link.getAttribute("data-panel");
      show(id);
      if (history.replaceState) { history.replaceState(null, "", "#" + id); }
    });
  });
  show(window.location.hash ? window.location.hash.slice(1) : "");
  var closeButton = document.getElementById("pHideToolBarButton");
  if (closeButton) {
    closeButton.addEventListener("click", function () {
      if (window.parent !== window) {
        window.parent.postMessage("asgiweb-debugtoolbar:close", window.location.origin);
      } else {
        window.close();
      }
    });
  }
})();
