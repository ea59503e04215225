// Suggestions while the subject is typed: the server renders them (escaped HTML);
// without this script the "Find answers" button asks for the same list.
(function () {
  "use strict";
  var subject = document.getElementById("subject");
  var box = document.getElementById("suggestions");
  var find = document.getElementById("find");
  if (!subject || !box || !window.fetch) { return; }
  if (find) { find.hidden = true; }
  var timer = null;
  var asked = 0;
  subject.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var ask = ++asked;
      var url = box.getAttribute("data-suggest") + "?q=" + encodeURIComponent(subject.value);
      fetch(url, { headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (ask === asked) { box.innerHTML = html; } })
        .catch(function () {});
    }, 200);
  });
})();
