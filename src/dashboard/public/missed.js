// The missed-calls page: missed calls nobody has answered since (/api/calls/to-return); for roles
// that may see callers, a tel: link to call back and a "called back" mark kept in the store.
'use strict';

(() => {
  const { api, phone, time, el, showPageError, canSeeCallers } = window.dashboard;
  const tbody = /** @type {HTMLElement} */ (document.querySelector('#missed-list tbody'));
  const state = /** @type {HTMLElement} */ (document.getElementById('missed-state'));

  /** @param {any} call */
  function calledBackCell(call) {
    if (!canSeeCallers) return el('td', { text: call.calledBack ? `yes, ${time(call.calledBack.markedAt)}` : 'not yet' });
    const box = /** @type {HTMLInputElement} */ (el('input', { attrs: { type: 'checkbox', id: `back-${call.uuid}` } }));
    box.checked = call.calledBack !== null;
    box.addEventListener('change', async () => {
      try {
        await api(`/api/calls/${encodeURIComponent(call.uuid)}/called-back`, { method: box.checked ? 'PUT' : 'DELETE' });
      } catch (error) {
        box.checked = !box.checked;
        showPageError(error.message);
      }
    });
    return el('td', {}, [box, el('label', { text: ' called back', attrs: { for: `back-${call.uuid}` } })]);
  }

  async function load() {
    try {
      const { calls } = await api('/api/calls/to-return');
      tbody.replaceChildren(...calls.map((call) => {
        const caller = canSeeCallers
          ? el('a', { className: 'caller call-back', text: phone(call.caller), attrs: { href: `tel:+${call.caller}` } })
          : el('span', { className: 'caller', text: call.caller });
        return el('tr', { attrs: { 'data-uuid': call.uuid } }, [
          el('td', { text: time(call.startedAt) }), el('td', {}, [caller]), el('td', { text: call.campaign ?? '(no campaign)' }),
          el('td', { text: phone(call.trackingNumber) }), calledBackCell(call),
        ]);
      }));
      state.textContent = calls.length ? '' : 'No missed calls waiting.';
    } catch (error) {
      showPageError(`The missed calls could not be loaded: ${error.message}`);
    }
  }

  load();
})();
