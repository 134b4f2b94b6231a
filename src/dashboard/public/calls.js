// The calls page: pages of /api/calls (newest first, "Show older calls" follows the cursor),
// filtered by the form; new calls arrive from /api/calls/live (Server-Sent Events) without a
// reload, and EventSource reconnects by itself when the connection drops.
'use strict';

(() => {
  const { api, phone, time, duration, el, outcomeBadge, showFormError } = window.dashboard;
  const form = /** @type {HTMLFormElement} */ (document.getElementById('calls-filter'));
  const tbody = /** @type {HTMLElement} */ (document.querySelector('#calls-list tbody'));
  const state = /** @type {HTMLElement} */ (document.getElementById('calls-state'));
  const more = /** @type {HTMLButtonElement} */ (document.getElementById('calls-more'));
  const live = /** @type {HTMLElement} */ (document.getElementById('live-state'));
  /** @type {string | null} */
  let cursor = null;
  let filtered = false;

  function filterQuery() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (String(value).trim()) params.set(name, String(value).trim());
    filtered = [...params.keys()].length > 0;
    return params;
  }

  /** @param {any} call */
  function row(call) {
    const detail = el('details', {}, [
      el('summary', { text: time(call.startedAt) }),
      el('ul', { className: 'call-detail' }, [
        el('li', { text: `Answered ${time(call.answeredAt)}, ended ${time(call.endedAt)}` }),
        ...call.attempts.map((a, i) => el('li', { text: `Attempt ${i + 1}: ${a.destination ? phone(a.destination) : 'unknown'}, ${a.status ?? 'no status'}${a.answered ? ' (answered)' : ''}` })),
      ]),
    ]);
    return el('tr', { attrs: { 'data-uuid': call.uuid } }, [
      el('td', {}, [detail]), el('td', { text: call.campaign ?? '(no campaign)' }), el('td', { text: phone(call.trackingNumber) }),
      el('td', { className: 'caller', text: phone(call.caller) }), el('td', {}, [outcomeBadge(call.outcome)]),
      el('td', { className: 'num', text: duration(call.durationSeconds) }), el('td', { text: call.answeredBy ? phone(call.answeredBy) : '–' }),
    ]);
  }

  /** @param {boolean} fresh */
  async function load(fresh) {
    const params = filterQuery();
    params.set('limit', '50');
    if (!fresh && cursor) params.set('cursor', cursor);
    try {
      const page = await api(`/api/calls?${params}`);
      if (fresh) tbody.replaceChildren();
      tbody.append(...page.calls.map(row));
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      state.textContent = tbody.children.length ? '' : 'No calls match.';
      showFormError(form);
    } catch (error) {
      showFormError(form, error);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load(true);
  });
  more.addEventListener('click', () => load(false));

  const events = new EventSource('/api/calls/live');
  events.addEventListener('open', () => { live.textContent = 'Live: new calls appear here'; });
  events.addEventListener('error', () => { live.textContent = 'Reconnecting…'; });
  events.addEventListener('call', (event) => {
    // A filtered list shows what the filter asked for; new calls would not all belong.
    if (filtered) return;
    const call = JSON.parse(/** @type {MessageEvent} */ (event).data);
    const existing = tbody.querySelector(`tr[data-uuid="${CSS.escape(call.uuid)}"]`);
    if (existing) existing.replaceWith(row(call));
    else tbody.prepend(row(call));
    state.textContent = '';
  });

  load(true);
})();
