// The campaign editor checks the would-be file as the person types: a moment after the last
// key, the form goes to its check address, which answers with the loader's own messages by
// field and the next occurrences. Without JavaScript the same checks run when saving.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) {
    return;
  }
  var timer = null;
  var asked = 0;

  function show(answer) {
    form.querySelectorAll(".error-text").forEach(function (p) {
      var name = p.id.slice(2);
      var said = answer.fields[name] || "";
      var input = document.getElementById("f-" + name);
      p.textContent = said;
      p.parentNode.classList.toggle("invalid", said !== "");
      if (input && said) {
        input.setAttribute("aria-invalid", "true");
      } else if (input) {
        input.removeAttribute("aria-invalid");
      }
    });
    var general = document.getElementById("general");
    general.textContent = "";
    if (answer.general.length) {
      var list = document.createElement("ul");
      list.className = "problems";
      answer.general.forEach(function (text) {
        var item = document.createElement("li");
        item.className = "error";
        item.textContent = text;
        list.appendChild(item);
      });
      general.appendChild(list);
    }
    // rendered by loa's templates, which escape every value
    document.getElementById("upcoming").innerHTML = answer.upcoming;
    form.setAttribute("data-checked", String(asked));
  }

  function check() {
    var mine = ++asked;
    fetch(form.getAttribute("data-check"), {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (answer) {
      return answer.ok ? answer.json() : null;
    }).then(function (answer) {
      if (answer && mine === asked) {
        show(answer);
      }
    });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
