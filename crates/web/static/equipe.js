// The mobile team's form on a poor connection: each contact is kept on the phone until the
// server has it, retried, and never counted twice (the server ignores a submission id it
// already has). Without this script the form still works as a plain form.
(function () {
  'use strict';
  var KEY = 'dklik-rencontres';
  var form = document.getElementById('rencontre');
  var state = document.getElementById('etat-envoi');
  if (!form || !window.fetch || !window.localStorage) return;
  var delay = 2000;
  var timer = null;

  function queue() {
    try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(KEY, JSON.stringify(q)); }
  function say(text) { state.hidden = false; state.textContent = text; }
  function newId() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function show() {
    var n = queue().length;
    if (n === 0) say('Tout est envoyé.');
    else say(n + ' rencontre(s) gardée(s) sur le téléphone, en attente de réseau. Envoi automatique dès que possible.');
  }
  function later() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; flush(); }, delay);
    delay = Math.min(delay * 2, 60000);
  }
  function flush() {
    var q = queue();
    if (q.length === 0) { show(); return; }
    var item = q[0];
    fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json' },
      body: item.body
    }).then(function (r) {
      if (r.status === 200) {
        save(queue().filter(function (x) { return x.id !== item.id; }));
        delay = 2000;
        return r.json().then(function (j) {
          if (j && j.recent) {
            var ul = document.getElementById('dernieres');
            var li = document.createElement('li');
            li.textContent = j.recent;
            ul.insertBefore(li, ul.firstChild);
          }
          flush();
        });
      }
      if (r.status === 422) {
        // The server refuses this contact as written: give it back to the form to correct.
        save(queue().filter(function (x) { return x.id !== item.id; }));
        return r.json().then(function (j) {
          say('À corriger : ' + (j.errors || []).join(' '));
        });
      }
      // Signed out, or the server is unwell: keep it and try again.
      say('Envoi impossible pour l\u2019instant (' + r.status + ') : la rencontre reste sur le téléphone.');
      later();
    }).catch(function () { show(); later(); });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    var id = data.get('envoi');
    var q = queue();
    if (!q.some(function (x) { return x.id === id; })) q.push({ id: id, body: data.toString() });
    save(q);
    // Ready for the next contact at the same place: keep where and how, clear the rest.
    form.querySelector('input[name="envoi"]').value = newId();
    ['nombre', 'prenom', 'telephone', 'email', 'notes'].forEach(function (n) {
      var el = form.querySelector('[name="' + n + '"]');
      if (el) el.value = '';
    });
    Array.prototype.forEach.call(form.querySelectorAll('input[type="checkbox"]'), function (c) { c.checked = false; });
    show();
    flush();
  });
  window.addEventListener('online', flush);
  flush();
})();
