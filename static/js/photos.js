// Progressive enhancement for photo forms on slow networks: shrinks photos in the phone before they
// are sent (a 4 MB camera photo becomes ~300 KB) and shows how far the upload has got. Without
// JavaScript, or where a browser lacks a step, the form posts as it is and the server shrinks.
(function () {
  var input = document.getElementById('photos');
  var form = input && input.form;
  if (!form || !window.FormData || !window.XMLHttpRequest || !HTMLCanvasElement.prototype.toBlob) return;
  var MAX_SIDE = 1600;
  var status = document.createElement('p');
  status.className = 'upload-status';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  var bar = document.createElement('progress');
  bar.max = 100;
  bar.hidden = true;
  form.appendChild(bar);
  form.appendChild(status);
  var say = function (text) {
    status.textContent = text;
  };
  var t = function (key) {
    return input.getAttribute('data-' + key) || '';
  };

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return resolve(file);
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        if (scale === 1 && file.size < 1024 * 1024) {
          URL.revokeObjectURL(url);
          return resolve(file);
        }
        var canvas = document.createElement('canvas');
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(
          function (blob) {
            resolve(blob && blob.size < file.size ? new File([blob], file.name.replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' }) : file);
          },
          'image/jpeg',
          0.85,
        );
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        resolve(file);
      };
      img.src = url;
    });
  }

  form.addEventListener('submit', function (event) {
    if (!input.files || input.files.length === 0) return;
    event.preventDefault();
    var button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    say(t('shrinking'));
    Promise.all(Array.prototype.map.call(input.files, shrink)).then(function (files) {
      var data = new FormData(form);
      data.delete('photos');
      files.forEach(function (f) {
        data.append('photos', f, f.name);
      });
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      bar.hidden = false;
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        say(t('sending').replace('{pct}', pct));
      };
      xhr.onload = function () {
        // A filed case ends on its receipt; anything else (a mistake to mend, a wait) is shown as
        // the page the server answered.
        if (xhr.responseURL && xhr.responseURL.indexOf('/track/') !== -1 && xhr.status < 400) {
          location.href = xhr.responseURL;
          return;
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      };
      xhr.onerror = function () {
        bar.hidden = true;
        if (button) button.disabled = false;
        say(t('failed'));
      };
      xhr.send(data);
    });
  });
})();
