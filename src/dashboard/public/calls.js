// The calls page: pages of /api/calls (newest first, "Show older calls" follows the cursor),
// filtered by the form; new calls arrive from /api/calls/live (Server-Sent Events) without a
// reload, and EventSource reconnects by itself when the connection drops. A call opens to what
// is known of it, and to its events in order from /api/calls/:uuid once opened.
'use strict';

(() => {
  const { api, apiUrl, phone, time, clock, duration, el, outcomeBadge, showFormError } = window.dashboard;
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

  /** The website visit that brought the call (number pools), or nothing. @param {any} call */
  function attributionLine(call) {
    const a = call.attribution;
    if (!a) return [];
    const parts = [['source', a.source], ['medium', a.medium], ['campaign', a.campaign], ['gclid', a.gclid]]
      .filter(([, value]) => value).map(([name, value]) => `${name} ${value}`);
    const note = call.attributionAmbiguous ? ' (two visits held the number: the latest is shown)' : '';
    return [el('li', { text: `Website visit: ${parts.length ? parts.join(', ') : 'no campaign details'}${note}` })];
  }

  /** One event as Vonage reported it: when, which leg, what. @param {any} event */
  function eventLine(event) {
    const leg = event.direction === 'inbound' ? "caller's leg" : `leg to ${event.to ? phone(event.to) : 'the business'}`;
    const length = event.durationSeconds === null ? '' : `, ${duration(event.durationSeconds)}`;
    return el('li', { text: `${clock(event.occurredAt)} ${leg}: ${event.status}${length}` });
  }

  /** A player per stored recording or voicemail (managers and owners get them; viewers none). @param {any[]} recordings */
  function players(recordings) {
    return (recordings ?? []).filter((r) => r.audioUrl !== null).map((r) => el('audio', {
      className: `player player-${r.kind}`,
      attrs: { controls: '', preload: 'none', src: r.audioUrl, 'aria-label': r.kind === 'voicemail' ? 'Voicemail' : 'Call recording' },
    }));
  }

  /** @param {any} call */
  function detailOf(call) {
    const events = el('ol', { className: 'call-events', attrs: { 'aria-label': 'Events in order' } });
    const media = el('div', { className: 'call-media' });
    const detail = el('details', {}, [
      el('summary', { text: time(call.startedAt) }),
      el('ul', { className: 'call-detail' }, [
        el('li', { text: call.answeredBy ? `Answered by ${phone(call.answeredBy)} at ${time(call.answeredAt)}` : 'Nobody answered' }),
        el('li', { text: `Talk time ${duration(call.durationSeconds)}, ended ${time(call.endedAt)}` }),
        ...call.attempts.map((a, i) => el('li', { text: `Attempt ${i + 1}: ${a.destination ? phone(a.destination) : 'unknown'}, ${a.status ?? 'no status'}${a.answered ? ' (answered)' : ''}` })),
        ...attributionLine(call),
        ...(call.voicemail ? [el('li', { text: 'The caller left a voicemail' })] : []),
      ]),
      media,
      events,
    ]);
    detail.addEventListener('toggle', async () => {
      if (!/** @type {HTMLDetailsElement} */ (detail).open || events.dataset.loaded) return;
      events.dataset.loaded = 'true';
      try {
        const full = await api(`/api/calls/${encodeURIComponent(call.uuid)}`);
        events.replaceChildren(...(full.events.length ? full.events.map(eventLine) : [el('li', { text: 'No events yet' })]));
        media.replaceChildren(...players(full.recordings));
      } catch (error) {
        delete events.dataset.loaded;
        events.replaceChildren(el('li', { text: `The events could not be loaded: ${error instanceof Error ? error.message : error}` }));
      }
    });
    return detail;
  }

  /** @param {any} call */
  function row(call) {
    const detail = detailOf(call);
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

  /** The filter matches a campaign and a number exactly: suggest those the numbers have now. */
  async function suggestChoices() {
    try {
      const { numbers } = await api('/api/numbers');
      const option = (/** @type {string} */ value) => el('option', { attrs: { value } });
      const campaigns = [...new Set(numbers.map((/** @type {any} */ n) => n.campaign).filter(Boolean))].sort();
      /** @type {HTMLElement} */ (document.getElementById('campaign-choices')).replaceChildren(...campaigns.map(option));
      /** @type {HTMLElement} */ (document.getElementById('number-choices')).replaceChildren(...numbers.map((/** @type {any} */ n) => option(phone(n.number))));
    } catch {
      // Suggestions only: the filter works without them.
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load(true);
  });
  more.addEventListener('click', () => load(false));

  const events = new EventSource(apiUrl('/api/calls/live'));
  let dropped = false;
  events.addEventListener('open', () => {
    live.textContent = 'Live: new calls appear here';
    // Calls that came and changed while the connection was down: read the list again.
    if (dropped) load(true);
    dropped = false;
  });
  events.addEventListener('error', async () => {
    dropped = true;
    live.textContent = 'Reconnecting…';
    if (events.readyState !== EventSource.CLOSED) return;
    // Refused rather than dropped, so EventSource gives up: a session that ended sends the person
    // to sign in (api() does on a 401); anything else leaves the list as it is.
    try {
      await api('/api/me');
    } catch {
      // not signed out: said below
    }
    live.textContent = 'Live updates stopped: reload the page';
  });
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
  suggestChoices();
})();
