// The numbers page: lists the tracking numbers and, for roles that may, saves and removes them
// through the numbers API (PUT/DELETE /api/numbers/:number); lists the number pools and, for the
// same roles, saves and removes them (PUT/DELETE /api/pools/:id).
'use strict';

(() => {
  const { api, phone, duration, el, showFormError, showPageError, canEditNumbers } = window.dashboard;
  const tbody = /** @type {HTMLElement} */ (document.querySelector('#numbers-list tbody'));
  const state = /** @type {HTMLElement} */ (document.getElementById('numbers-state'));
  const form = /** @type {HTMLFormElement | null} */ (document.getElementById('number-form'));

  /** The named field of a form on this page. @param {HTMLFormElement} of @param {string} name */
  const field = (of, name) => /** @type {HTMLInputElement} */ (of.elements.namedItem(name));
  /** Writes a field, an absent value as empty. @param {HTMLFormElement} of @param {string} name @param {string | null} value */
  const setField = (of, name, value) => { field(of, name).value = value ?? ''; };
  /** A field's value without surrounding spaces. @param {HTMLFormElement} of @param {string} name */
  const fieldValue = (of, name) => field(of, name).value.trim();

  /** @param {any} route */
  function describeRoute(route) {
    if (!route) return 'rings the forwarding number';
    const destinations = route.destinations?.length ?? 0;
    return [destinations ? `${destinations} destination${destinations === 1 ? '' : 's'}` : null, route.hours ? 'opening hours' : null,
      route.strategy ?? null].filter(Boolean).join(', ') || 'route set';
  }

  /** @param {any} entry */
  function fill(entry) {
    if (!form) return;
    const set = (name, value) => setField(form, name, value);
    set('number', phone(entry.number));
    set('campaign', entry.campaign);
    set('forwardTo', entry.forwardTo ? phone(entry.forwardTo) : '');
    set('whisper', entry.whisper);
    set('route', entry.route ? JSON.stringify(entry.route, null, 2) : '');
    showFormError(form);
    field(form, 'campaign').focus();
  }

  async function load() {
    try {
      const { numbers } = await api('/api/numbers');
      tbody.replaceChildren(...numbers.map((entry) => {
        const cells = [
          el('th', { text: phone(entry.number), attrs: { scope: 'row' } }),
          el('td', { text: entry.campaign ?? '(no campaign)' }),
          el('td', { text: entry.forwardTo ? phone(entry.forwardTo) : 'business phone' }),
          el('td', { text: entry.whisper ?? '–' }),
          el('td', { text: describeRoute(entry.route) }),
        ];
        if (canEditNumbers) {
          const edit = el('button', { className: 'button button-plain', text: 'Edit', attrs: { type: 'button', 'aria-label': `Edit ${phone(entry.number)}` } });
          edit.addEventListener('click', () => fill(entry));
          const remove = el('button', { className: 'button button-plain', text: 'Remove', attrs: { type: 'button', 'aria-label': `Remove ${phone(entry.number)}` } });
          remove.addEventListener('click', async () => {
            if (!confirm(`Remove ${phone(entry.number)}? Its calls stay in the reports.`)) return;
            try {
              await api(`/api/numbers/${entry.number}`, { method: 'DELETE' });
              await load();
            } catch (error) {
              showPageError(error.message);
            }
          });
          cells.push(el('td', { className: 'actions' }, [edit, remove]));
        }
        return el('tr', { attrs: { 'data-number': entry.number } }, cells);
      }));
      state.textContent = numbers.length ? '' : 'No tracking numbers yet.';
    } catch (error) {
      showPageError(`The numbers could not be loaded: ${error.message}`);
    }
  }

  form?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => fieldValue(form, name);
    showFormError(form);
    // Sent as written: the API reads "+44 (7700) 900-555" and refuses what is not a number.
    const number = value('number');
    if (!number) return showFormError(form, '"number" is needed: the Vonage number, e.g. +44 7700 900101');
    let route = null;
    if (value('route')) {
      try {
        route = JSON.parse(value('route'));
      } catch {
        return showFormError(form, '"route" is not valid JSON');
      }
    }
    const body = { campaign: value('campaign') || null, forwardTo: value('forwardTo') || null, whisper: value('whisper') || null, route };
    try {
      await api(`/api/numbers/${encodeURIComponent(number)}`, { method: 'PUT', body });
      form.reset();
      await load();
    } catch (error) {
      // The API names the route's inner fields "route.…": show those beside the route.
      showFormError(form, error instanceof Error ? new Error(error.message.replace(/^"route\./, '"route .')) : error);
    }
  });

  const poolForm = /** @type {HTMLFormElement | null} */ (document.getElementById('pool-form'));

  /** @param {any} pool */
  function fillPool(pool) {
    if (!poolForm) return;
    const set = (name, value) => setField(poolForm, name, value);
    set('id', pool.id);
    set('campaign', pool.campaign);
    set('replaces', phone(pool.replacesNumber));
    set('holdMinutes', String(pool.holdSeconds / 60));
    set('numbers', pool.numbers.map(phone).join('\n'));
    showFormError(poolForm);
    field(poolForm, 'campaign').focus();
  }

  /** @param {any} pool */
  function poolActions(pool) {
    const edit = el('button', { className: 'button button-plain', text: 'Edit', attrs: { type: 'button', 'aria-label': `Edit pool ${pool.id}` } });
    edit.addEventListener('click', () => fillPool(pool));
    const remove = el('button', { className: 'button button-plain', text: 'Remove', attrs: { type: 'button', 'aria-label': `Remove pool ${pool.id}` } });
    remove.addEventListener('click', async () => {
      if (!confirm(`Remove the pool ${pool.id}? Its numbers stay tracking numbers, but their calls are no longer credited to website visits.`)) return;
      try {
        await api(`/api/pools/${encodeURIComponent(pool.id)}`, { method: 'DELETE' });
        await loadPools();
      } catch (error) {
        showPageError(error.message);
      }
    });
    return el('td', { className: 'actions' }, [edit, remove]);
  }

  async function loadPools() {
    const poolsState = /** @type {HTMLElement} */ (document.getElementById('pools-state'));
    try {
      const { pools } = await api('/api/pools');
      /** @type {HTMLElement} */ (document.querySelector('#pools-list tbody')).replaceChildren(...pools.map((pool) => el('tr', { attrs: { 'data-pool': pool.id } }, [
        el('th', { text: pool.id, attrs: { scope: 'row' } }),
        el('td', { text: pool.campaign ?? '(no campaign)' }),
        el('td', { text: phone(pool.replacesNumber) }),
        el('td', { text: pool.numbers.map(phone).join(', ') }),
        el('td', { className: 'num', text: duration(pool.holdSeconds) }),
        ...(canEditNumbers ? [poolActions(pool)] : []),
      ])));
      poolsState.textContent = pools.length ? '' : 'No number pools.';
    } catch (error) {
      poolsState.textContent = `The pools could not be loaded: ${error.message}`;
    }
  }

  poolForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => fieldValue(poolForm, name);
    showFormError(poolForm);
    const id = value('id');
    if (!id) return showFormError(poolForm, '"id" is needed: the name the website tag uses, e.g. website');
    const hold = value('holdMinutes');
    const body = {
      campaign: value('campaign') || null,
      replaces: value('replaces'),
      numbers: value('numbers').split(/[\n,;]+/).map((n) => n.trim()).filter(Boolean),
      ...(hold === '' ? {} : { holdMinutes: Number(hold) }),
    };
    try {
      await api(`/api/pools/${encodeURIComponent(id)}`, { method: 'PUT', body });
      poolForm.reset();
      // Its numbers are tracking numbers of its campaign now: both lists change.
      await Promise.all([loadPools(), load()]);
    } catch (error) {
      showFormError(poolForm, error);
    }
  });

  load();
  loadPools();
})();
