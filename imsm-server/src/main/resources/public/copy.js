// Copy buttons: <button data-copy="ELEMENT_ID">. Loaded as a file because the CSP forbids inline script.
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  button.addEventListener('click', function () {
    var source = document.getElementById(button.getAttribute('data-copy'));
    var text = source.value !== undefined ? source.value : source.textContent;
    navigator.clipboard.writeText(text).then(function () {
      button.textContent = 'Copied';
    }, function () {
      source.select();
      button.textContent = 'Press Ctrl+C';
    });
  });
});
