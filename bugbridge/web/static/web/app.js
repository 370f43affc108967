// Copy buttons: <button data-copy="#id"> copies the text of the element it names.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});
// htmx requests carry the CSRF token from the cookie-less meta tag.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector("meta[name=csrf-token]");
  if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
});
// Forms that undo something ask first: <form data-confirm="Rotate the key?">.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
