// Bus screen page: rotates the slides and takes new ones pushed by the server (SSE). When the
// connection drops, the last slides stay on screen and EventSource reconnects by itself.
// Each slide's text is fitted to its box when shown: the largest size at which no word is cut
// and nothing overflows (words only break where the browser knows French hyphenation).
(function () {
  var root = document.getElementById('slides');
  if (!root) return;
  var seconds = parseInt(root.getAttribute('data-seconds'), 10) || 10;
  var turn = 0;

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
    var slides = root.querySelectorAll('.slide');
    for (var k = 0; k < slides.length; k++) if (!slides[k].hidden) return slides[k];
    return null;
  }

  function showAt(i) {
    var slides = root.querySelectorAll('.slide');
    if (!slides.length) return;
    turn = ((i % slides.length) + slides.length) % slides.length;
    for (var k = 0; k < slides.length; k++) slides[k].hidden = (k !== turn);
    fit(slides[turn]);
  }

  function next() { showAt(turn + 1); }

  var preview = root.hasAttribute('data-preview');
  showAt(0);
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
  if (!window.EventSource || preview) return;
  var source = new EventSource(location.pathname.replace(/\/$/, '') + '/flux');
  source.addEventListener('slides', function (e) {
    root.innerHTML = e.data;
    showAt(0);
  });
})();
