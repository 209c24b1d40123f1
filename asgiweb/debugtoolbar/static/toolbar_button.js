/* Open the toolbar page in a panel over the application's page (the link opens it
   in its own window when scripts are off). */
(function () {
  "use strict";
  var link = document.getElementById("pShowToolBarButton");
  if (!link) { return; }
  function close() {
    var frame = document.getElementById("pDebugToolbarFrame");
    if (frame) { frame.parentNode.removeChild(frame); }
  }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    if (document.getElementById("pDebugToolbarFrame")) { close(); return; }
    var frame = document.createElement("iframe");
    frame.id = "pDebugToolbarFrame";
    frame.title = "Debug toolbar";
    frame.src = link.getAttribute("href");
    document.body.appendChild(frame);
  });
  window.addEventListener("message", function (event) {
    if (event.origin === window.location.origin && event.data === "asgiweb-debugtoolbar:close") {
      close();
    }
  });
})();
