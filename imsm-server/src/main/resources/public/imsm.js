// The pages' only script, loaded as a file because the CSP forbids inline script. Every page works
// without it; it adds copy buttons, confirmation dialogs and local times.
(function () {
  'use strict';

  // <button data-copy="ELEMENT_ID">: copies that element's value or text.
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var label = button.textContent;
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copy'));
      var text = source.value !== undefined ? source.value : source.textContent;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = 'Copied';
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        if (source.select) {
          source.select();
        } else {
          window.getSelection().selectAllChildren(source);
        }
        button.textContent = 'Press Ctrl+C';
      });
    });
  });

  // <form data-confirm="QUESTION">: asks first, then tells the server it was confirmed. Without
  // this script the server answers with a confirmation page instead.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (form.querySelector('input[name="confirmed"]')) {
        return;
      }
      if (!window.confirm(form.getAttribute('data-confirm'))) {
        event.preventDefault();
        return;
      }
      var confirmed = document.createElement('input');
      confirmed.type = 'hidden';
      confirmed.name = 'confirmed';
      confirmed.value = 'yes';
      form.appendChild(confirmed);
    });
  });

  // <time datetime="ISO">UTC text</time>: the same moment in the browser's own time zone.
  var local;
  try {
    local = new Intl.DateTimeFormat(undefined, {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'
    });
  } catch (e) {
    return;
  }
  document.querySelectorAll('.when time[datetime]').forEach(function (time) {
    var at = new Date(time.getAttribute('datetime'));
    if (!isNaN(at.getTime())) {
      time.textContent = local.format(at);
      time.setAttribute('data-local', 'yes');
    }
  });
})();
