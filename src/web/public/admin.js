// The operator console: refresh the page's #live part when the server says something changed
// (Server-Sent Events), and ask before a destructive form is sent. Everything shown is rendered
// (and escaped) by the server; this only swaps in the server's own HTML.
'use strict';
(function () {
  function armConfirms(root) {
    for (const form of root.querySelectorAll('form[data-confirm]')) {
      form.addEventListener('submit', (ev) => {
        if (!window.confirm(form.getAttribute('data-confirm'))) ev.preventDefault();
      });
    }
  }
  armConfirms(document);
  const url = document.body.getAttribute('data-events');
  if (!url || !window.EventSource) return;
  let busy = false;
  let again = false;
  async function refresh() {
    if (busy) return void (again = true);
    busy = true;
    try {
      const res = await fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (res.redirected || !res.ok) return void window.location.reload();
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const next = doc.getElementById('live');
      const live = document.getElementById('live');
      if (next && live) {
        live.replaceChildren(...next.childNodes);
        armConfirms(live);
        document.body.setAttribute('data-refreshed', new Date().toISOString());
      }
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  }
  const events = new EventSource(url);
  events.addEventListener('changed', () => void refresh());
})();
