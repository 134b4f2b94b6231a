// The account page: the signed-in user's personal API tokens (/api/me/tokens).
'use strict';

(() => {
  const { api, el, time, showFormError, showPageError } = window.dashboard;
  const tbody = /** @type {HTMLElement} */ (document.querySelector('#tokens-list tbody'));
  const state = /** @type {HTMLElement} */ (document.getElementById('tokens-state'));
  const form = /** @type {HTMLFormElement} */ (document.getElementById('token-form'));
  const shown = /** @type {HTMLElement} */ (document.getElementById('new-token'));

  async function load() {
    try {
      const { tokens } = await api('/api/me/tokens');
      tbody.replaceChildren(...tokens.map((token) => {
        const revoke = el('button', { className: 'button button-plain', text: 'Revoke', attrs: { type: 'button', 'aria-label': `Revoke ${token.label}` } });
        revoke.addEventListener('click', async () => {
          try {
            await api(`/api/me/tokens/${token.id}`, { method: 'DELETE' });
            await load();
          } catch (error) {
            showPageError(error.message);
          }
        });
        return el('tr', {}, [el('th', { text: token.label, attrs: { scope: 'row' } }), el('td', { text: time(token.createdAt) }), el('td', {}, [revoke])]);
      }));
      state.textContent = tokens.length ? '' : 'No tokens.';
    } catch (error) {
      showPageError(`The tokens could not be loaded: ${error.message}`);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFormError(form);
    try {
      const made = await api('/api/me/tokens', { method: 'POST', body: { label: /** @type {HTMLInputElement} */ (form.elements.namedItem('label')).value } });
      /** @type {HTMLElement} */ (document.getElementById('new-token-value')).textContent = made.token;
      shown.hidden = false;
      form.reset();
      await load();
    } catch (error) {
      showFormError(form, error);
    }
  });

  load();
})();
