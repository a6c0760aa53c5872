/* snapfront: linked (deferred) by a listing page. Without it the page is whole (server order, hashes
   selectable); with it the Name, Size and Date headings sort (directories stay first, "../"
   on top) and each SHA-256 gets a copy button. */
(function () {
  var table = document.querySelector("table.listing");
  if (!table) return;
  var body = table.tBodies[0], names = new Intl.Collator(undefined, {numeric: true});
  var keys = {
    name: function (r) { return r.cells[0].querySelector("a").textContent; },
    size: function (r) { var d = r.querySelector("data"); return d ? +d.value : -1; },
    date: function (r) { var t = r.querySelector("time"); return t ? t.dateTime : ""; }
  };
  table.querySelectorAll("th[data-sort]").forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    button.append.apply(button, Array.from(th.childNodes));
    th.append(button);
    button.addEventListener("click", function () {
      var how = th.dataset.sort, key = keys[how], was = th.getAttribute("aria-sort");
      var up = was ? was === "descending" : how === "name";
      table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var rows = Array.from(body.rows).filter(function (r) { return !r.classList.contains("up"); });
      rows.sort(function (a, b) {
        var dirs = b.classList.contains("dir") - a.classList.contains("dir");
        if (dirs) return dirs;
        var x = key(a), y = key(b), order = typeof x === "number" ? x - y : names.compare(x, y);
        return up ? order : -order;
      });
      body.append.apply(body, rows);
    });
  });
  var said = document.createElement("span");
  said.className = "visually-hidden";
  said.setAttribute("role", "status");
  table.after(said);
  table.querySelectorAll("code.hash").forEach(function (code) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "copy";
    button.setAttribute("aria-label", "copy SHA-256 of " + keys.name(code.closest("tr")));
    code.after(button);
  });
  table.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) return;
    var code = button.previousElementSibling, range = document.createRange();
    range.selectNodeContents(code);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    var copied = function () {
      button.textContent = "copied";
      said.textContent = "SHA-256 copied";
      setTimeout(function () { button.textContent = "copy"; said.textContent = ""; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code.textContent).then(copied, function () {
        if (document.execCommand("copy")) copied();
      });
    } else if (document.execCommand("copy")) copied();
  });
})();
