// The dashboard's website-attribution panel: calls by traffic source, and whether each number
// pool is big enough, from /api/attribution (last 30 days). Plain browser JavaScript, as
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

  async function load() {
    let body;
    try {
      // On location.origin, as dashboard.js does: a page opened with credentials in its address
      // cannot fetch() a URL resolved against that address.
      let res;
      try {
        res = await fetch(new URL('/api/attribution', location.origin).href, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      } catch {
        throw new Error('No answer from the server (network error).');
      }
      if (!res.ok) throw new Error(`The server answered ${res.status}.`);
      body = await res.json();
    } catch (error) {
      setState('failed', error instanceof Error ? error.message : String(error));
      return;
    }
    if (body.pools.length === 0 && body.sources.length === 0) {
      setState('empty', 'No number pools yet: add one with PUT /api/pools/<id> (README, "Website attribution").');
      return;
    }
    fill('dni-pools-table', body.pools.map((/** @type {any} */ p) => [
      p.poolId, p.size, p.peakConcurrentVisits, `${p.ambiguousCalls} of ${p.calls} (${Math.round(p.ambiguousShare * 100)}%)`, advice(p),
    ]), [false, true, true, true, false]);
    fill('dni-sources-table', body.sources.map((/** @type {any} */ s) => [s.source, s.medium, s.calls]), [false, false, true]);
    setState('ready');
  }

  void load();
})();
