import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.js';
import { siteCss } from '../pages/layout.js';

/** Fills the hidden time-zone field from the browser; the form works without it. */
const TZ_JS = `document.addEventListener('DOMContentLoaded', function () {
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    document.querySelectorAll('input[name="tz"]').forEach(function (el) { if (!el.value) el.value = tz || ''; });
  } catch (e) {}
});
`;

/**
 * Keeps the dashboard's digest counters current while a digest goes out: polls the admin API
 * (same origin, the session cookie authenticates GETs) and rewrites the cells marked with
 * data-date / data-field. Without JavaScript the page still shows the counts of its load.
 */
const ADMIN_JS = `(function () {
  // An ingest job on the feeds page: reload its section from the page until it has finished.
  var job = document.querySelector('[data-ingest-job]');
  if (job) {
    var poll = setInterval(function () {
      fetch(location.href, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (text) {
          if (!text) return;
          var fresh = new DOMParser().parseFromString(text, 'text/html').querySelector('[data-ingest-job]');
          if (!fresh) return;
          job.innerHTML = fresh.innerHTML;
          if (fresh.getAttribute('data-finished') === 'yes') {
            clearInterval(poll);
            var table = new DOMParser().parseFromString(text, 'text/html').querySelector('table.stack');
            var mine = document.querySelector('table.stack');
            if (table && mine) mine.innerHTML = table.innerHTML;
          }
        })
        .catch(function () {});
    }, 1000);
  }
  var table = document.querySelector('[data-live-digests]');
  if (!table) return;
  // The same words as digestNote() (src/http/pages/digest-status.ts) and describeFirstError().
  function note(d) {
    var parts = d.reason ? [d.reason] : [];
    Object.keys(d.errors || {}).forEach(function (k) {
      var e = d.errors[k];
      var text = e.code && e.message.indexOf(String(e.code)) !== 0 ? e.code + ' ' + e.message : e.message;
      parts.push(('first ' + k + ' error: ' + text).replace(/\\s+/g, ' '));
    });
    return parts.join(' \u00b7 ');
  }
  function update() {
    fetch('/admin/api/digests?limit=20', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        body.digests.forEach(function (d) {
          var row = table.querySelector('tr[data-date="' + d.date + '"]');
          if (!row) return;
          var values = { status: d.status, subject: d.subject || '', recipients: d.counters.recipients, sent: d.counters.sent,
            failed: d.counters.failed, skipped: d.counters.skipped, pending: d.counters.pending, note: note(d) };
          Object.keys(values).forEach(function (k) {
            var cell = row.querySelector('[data-field="' + k + '"]');
            if (cell && cell.textContent !== String(values[k])) cell.textContent = String(values[k]);
          });
        });
        var known = {};
        table.querySelectorAll('tr[data-date]').forEach(function (r) { known[r.getAttribute('data-date')] = 1; });
        if (body.digests.some(function (d) { return !known[d.date]; }) && !document.hidden) location.reload();
      })
      .catch(function () {});
  }
  setInterval(update, 2000);
})();
`;

export function registerAssets(app: FastifyInstance, ctx: HttpContext): void {
  const css = siteCss(ctx.site);
  const cache = 'public, max-age=300';
  app.get('/assets/site.css', async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', cache).send(css),
  );
  app.get('/assets/tz.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', cache).send(TZ_JS),
  );
  app.get('/assets/admin.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', cache).send(ADMIN_JS),
  );
}
