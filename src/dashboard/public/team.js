// The team page (owners): lists users, changes their role, disables, signs out or deletes them,
// and adds new ones, through /api/users.
'use strict';

(() => {
  const { api, el, showFormError, showPageError, hidePageError } = window.dashboard;
  const tbody = /** @type {HTMLElement} */ (document.querySelector('#users-list tbody'));
  const state = /** @type {HTMLElement} */ (document.getElementById('users-state'));
  const form = /** @type {HTMLFormElement} */ (document.getElementById('user-form'));
  const ROLES = ['owner', 'manager', 'viewer'];

  /** @param {() => Promise<unknown>} action @param {string} done */
  async function act(action, done) {
    try {
      await action();
      state.textContent = done;
      hidePageError();
    } catch (error) {
      // Refused (the last owner, say): the message, and the list as it really is again.
      showPageError(error.message);
    }
    await load();
  }

  /** @param {any} user */
  function row(user) {
    const role = /** @type {HTMLSelectElement} */ (el('select', { attrs: { 'aria-label': `Role of ${user.username}` } },
      ROLES.map((r) => el('option', { text: r, attrs: r === user.role ? { value: r, selected: '' } : { value: r } }))));
    role.addEventListener('change', () => act(() => api(`/api/users/${user.id}`, { method: 'PATCH', body: { role: role.value } }), `${user.username} is now ${role.value}.`));
    const button = (text, label, action, done) => {
      const b = el('button', { className: 'button button-plain', text, attrs: { type: 'button', 'aria-label': label } });
      b.addEventListener('click', () => act(action, done));
      return b;
    };
    return el('tr', { attrs: { 'data-user': user.username } }, [
      el('th', { text: user.username, attrs: { scope: 'row' } }),
      el('td', {}, [role]),
      el('td', { text: user.disabled ? 'disabled' : 'active' }),
      el('td', { className: 'actions' }, [
        button(user.disabled ? 'Enable' : 'Disable', `${user.disabled ? 'Enable' : 'Disable'} ${user.username}`,
          () => api(`/api/users/${user.id}`, { method: 'PATCH', body: { disabled: !user.disabled } }), `${user.username} updated.`),
        button('Sign out everywhere', `Sign out everywhere: ${user.username}`,
          () => api(`/api/users/${user.id}/sessions`, { method: 'DELETE' }), `${user.username} is signed out everywhere.`),
        button('Delete', `Delete ${user.username}`, async () => {
          if (confirm(`Delete ${user.username}? Their sessions and tokens stop working.`)) await api(`/api/users/${user.id}`, { method: 'DELETE' });
        }, `${user.username} deleted.`),
      ]),
    ]);
  }

  async function load() {
    try {
      const { users } = await api('/api/users');
      tbody.replaceChildren(...users.map(row));
      if (!users.length) state.textContent = 'No users yet: you are signed in with the ADMIN_TOKEN.';
    } catch (error) {
      showPageError(`The users could not be loaded: ${error.message}`);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name)).value;
    showFormError(form);
    try {
      await api('/api/users', { method: 'POST', body: { username: value('username'), password: value('password'), role: value('role') } });
      state.textContent = `${value('username')} can now sign in.`;
      form.reset();
      await load();
    } catch (error) {
      showFormError(form, error);
    }
  });

  load();
})();
