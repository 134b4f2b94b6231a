// The dashboard's website-attribution panel: calls by traffic source, from the report API
// (/api/report?groupBy=source), and whether each number pool is big enough, from
// /api/attribution; both over their default range, the last 30 days. Plain browser JavaScript, as
// dashboard.js; it runs on its own so that the rest of the page never waits for it.
'use strict';

(() => {
  const panel = document.getElementById('dni-panel');
  if (!panel) return;
  const note = /** @type {HTMLElement} */ (panel.querySelector('[data-state]'));

  /** @param {'ready' | 'empty' | 'failed'} state @param {string} [message] */
  function setState(state, message = '') {
    panel.classList.toggle('is-empty', state === 'empty');
    panel.classList.toggle('is-failed', state === 'failed');
    note.hidden = state === 'ready';
    note.textContent = message;
  }

  /** @param {string} tableId @param {(string | number)[][]} rows @param {boolean[]} numeric */
  function fill(tableId, rows, numeric) {
    const body = /** @type {HTMLTableSectionElement} */ (document.querySelector(`#${tableId} tbody`));
    body.replaceChildren(...rows.map((cells) => {
      const tr = document.createElement('tr');
      cells.forEach((cell, i) => {
        const td = document.createElement('td');
        if (numeric[i]) td.className = 'num';
        td.textContent = String(cell);
        tr.append(td);
      });
      return tr;
    }));
  }

  /** @param {{ numbersToAdd: number, ambiguousCalls: number }} pool */
  function advice(pool) {
    if (pool.numbersToAdd > 0) return `Add ${pool.numbersToAdd} number${pool.numbersToAdd === 1 ? '' : 's'}: visitors had to share`;
    return 'Big enough';
  }

  /** @param {string} path */
  async function getJson(path) {
    let res;
    try {
      res = await fetch(window.dashboard.apiUrl(path), { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    } catch {
      throw new Error('No answer from the server (network error).');
    }
    if (!res.ok) throw new Error(`The server answered ${res.status}.`);
    return res.json();
  }

  async function load() {
    let body;
    let sources;
    try {
      [body, sources] = await Promise.all([getJson('/api/attribution'), getJson('/api/report?groupBy=source')]);
    } catch (error) {
      setState('failed', error instanceof Error ? error.message : String(error));
      return;
    }
    /** @type {{ source: string | null, medium: string | null, calls: number }[]} */
    const rows = sources.rows;
    if (body.pools.length === 0 && rows.every((row) => row.source === null)) {
      setState('empty', 'No number pools yet: add one on the Numbers page or with PUT /api/pools/<id> (README, "Website attribution").');
      return;
    }
    fill('dni-pools-table', body.pools.map((/** @type {any} */ p) => [
      p.poolId, p.size, p.peakConcurrentVisits, `${p.ambiguousCalls} of ${p.calls} (${Math.round(p.ambiguousShare * 100)}%)`, advice(p),
    ]), [false, true, true, true, false]);
    // The report's row of calls credited to no visit (source null) says so in words.
    fill('dni-sources-table', rows.map((row) => [row.source ?? 'Not from the website', row.medium ?? '', row.calls]), [false, false, true]);
    setState('ready');
  }

  void load();
})();
