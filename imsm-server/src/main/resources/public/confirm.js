// Confirmation for destructive actions: <form data-confirm="Question?"> or <button data-confirm="...">.
// A file, not inline script, because the CSP allows scripts from this origin only.
document.addEventListener('submit', function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
