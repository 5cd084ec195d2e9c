// Bus screen page: rotates the slides and takes new ones pushed by the server (SSE). When the
// connection drops, the last slides stay on screen and EventSource reconnects by itself; offer
// slides older than their time-to-live give way to the general card kept in the page.
// Each slide's text is fitted to its box when shown: the largest size at which no word is cut
// and nothing overflows (words only break where the browser knows French hyphenation).
// A service message (#takeover) hides the slides until it ends. Every 30 s the page tells the
// server what it shows and which slides it showed (the screens' health and proof of play).
(function () {
  var root = document.getElementById('slides');
  if (!root) return;
  var takeover = document.getElementById('takeover');
  var general = document.getElementById('general');
  var seconds = parseInt(root.getAttribute('data-seconds'), 10) || 10;
  var ttl = parseInt(root.getAttribute('data-ttl'), 10) || 7200;
  var age0 = parseInt(root.getAttribute('data-age'), 10) || 0;
  var received = Date.now();
  var turn = 0;
  var plays = {};
  var takeoverEnd = null;

  // Nothing sticks out of the text box, and no line is wider than its element.
  function fits(box) {
    if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1) return false;
    var parts = box.children;
    for (var k = 0; k < parts.length; k++) {
      if (parts[k].scrollWidth > parts[k].clientWidth + 1) return false;
    }
    return true;
  }

  // The largest scale (1 = the layout's full size) at which the text fits: a few halvings.
  function fit(slide) {
    var box = slide && slide.querySelector('.text');
    if (!box) return;
    box.style.setProperty('--fit', '1');
    if (fits(box)) return;
    var lo = 0.1, hi = 1;
    for (var i = 0; i < 14; i++) {
      var mid = (lo + hi) / 2;
      box.style.setProperty('--fit', String(mid));
      if (fits(box)) lo = mid; else hi = mid;
    }
    box.style.setProperty('--fit', String(lo));
  }

  function current() {
    if (takeoverShown()) return takeover.querySelector('.slide');
    var slides = root.querySelectorAll('.slide');
    for (var k = 0; k < slides.length; k++) if (!slides[k].hidden) return slides[k];
    return null;
  }

  function takeoverShown() {
    return !!(takeover && takeover.querySelector('.slide'));
  }

  // Offer slides past their time-to-live leave; the general card needs no server.
  function dropOld() {
    if (!general || age0 + (Date.now() - received) / 1000 <= ttl) return;
    var offers = root.querySelectorAll('.slide[data-impression]');
    for (var k = 0; k < offers.length; k++) {
      var code = offers[k].getAttribute('data-impression');
      if (code !== 'general' && code !== 'message') {
        root.innerHTML = general.innerHTML;
        turn = 0;
        return;
      }
    }
  }

  function showAt(i) {
    if (!preview) dropOld();
    var slides = root.querySelectorAll('.slide');
    if (!slides.length) return;
    turn = ((i % slides.length) + slides.length) % slides.length;
    for (var k = 0; k < slides.length; k++) slides[k].hidden = (k !== turn);
    fit(slides[turn]);
    var code = slides[turn].getAttribute('data-impression') || '';
    if (code.length === 8 && !takeoverShown()) plays[code] = (plays[code] || 0) + 1;
  }

  function next() { if (!takeoverShown()) showAt(turn + 1); }

  // A service message: shown alone until its end (also when the server cannot be reached).
  function setTakeover(html) {
    if (!takeover) return;
    clearTimeout(takeoverEnd);
    takeover.innerHTML = html;
    var on = takeoverShown();
    root.hidden = on;
    if (on) {
      var s = takeover.querySelector('.slide');
      fit(s);
      var left = parseInt(s.getAttribute('data-left'), 10);
      if (left > 0) takeoverEnd = setTimeout(function () { setTakeover(''); }, left * 1000);
    } else {
      showAt(turn);
    }
  }

  var preview = root.hasAttribute('data-preview');
  showAt(0);
  if (takeover) setTakeover(takeover.innerHTML.trim());
  // The preview does not rotate: the arrow keys step through its slides.
  var timer = preview ? null : setInterval(next, seconds * 1000);
  if (preview) {
    document.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowRight' || e.key === ' ') showAt(turn + 1);
      if (e.key === 'ArrowLeft') showAt(turn - 1);
    });
  }
  window.addEventListener('resize', function () { fit(current()); });
  // For the preview page and its tests: show a given slide, count them.
  window.dklikScreen = {
    show: function (i) { clearInterval(timer); showAt(i); },
    count: function () { return root.querySelectorAll('.slide').length; },
  };
  if (preview) return;

  // The heartbeat: what is shown now, and the slides shown since the last one.
  function beat() {
    var shownNow = 'general';
    if (takeoverShown()) {
      shownNow = 'message';
    } else {
      var c = current();
      shownNow = (c && c.getAttribute('data-impression')) || 'general';
    }
    var sent = plays;
    plays = {};
    var body = JSON.stringify({ slide: shownNow, plays: sent });
    if (!window.fetch) return;
    fetch(location.pathname.replace(/\/$/, '') + '/signal', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body, credentials: 'omit',
    }).then(function (r) {
      if (r.status >= 500) throw new Error('serveur');
    }).catch(function () {
      // Not sent: the plays count at the next heartbeat.
      for (var c in sent) if (Object.prototype.hasOwnProperty.call(sent, c)) plays[c] = (plays[c] || 0) + sent[c];
    });
  }
  setTimeout(beat, 2000);
  setInterval(beat, 30000);

  if (!window.EventSource) return;
  var source = new EventSource(location.pathname.replace(/\/$/, '') + '/flux');
  source.addEventListener('slides', function (e) {
    root.innerHTML = e.data;
    age0 = 0;
    received = Date.now();
    if (!takeoverShown()) showAt(0);
  });
  source.addEventListener('takeover', function (e) { setTakeover(e.data); });
})();
