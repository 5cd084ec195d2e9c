// Bus screen page: rotates the slides and takes new ones pushed by the server (SSE). When the
// connection drops, the last slides stay on screen and EventSource reconnects by itself.
(function () {
  var root = document.getElementById('slides');
  if (!root) return;
  var seconds = parseInt(root.getAttribute('data-seconds'), 10) || 10;
  var turn = 0;
  function show() {
    var slides = root.querySelectorAll('.slide');
    for (var k = 0; k < slides.length; k++) slides[k].hidden = (k !== turn % slides.length);
    turn++;
  }
  show();
  setInterval(show, seconds * 1000);
  if (!window.EventSource) return;
  var source = new EventSource(location.pathname.replace(/\/$/, '') + '/flux');
  source.addEventListener('slides', function (e) {
    root.innerHTML = e.data;
    turn = 0;
    show();
  });
})();
