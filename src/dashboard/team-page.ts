// The team page (owners): the users, their roles, shutting one out, ending their sessions, and
// adding a user.

import { MIN_PASSWORD_LENGTH } from '../security/passwords.js';
import { ROLES } from '../domain/team.js';

export function renderTeamMain(): string {
  const roles = ROLES.map((r) => `<option value="${r}">${r}</option>`).join('');
  return `
    <section class="panel" aria-labelledby="users-title">
      <header class="panel-head"><h2 id="users-title">Users</h2>
        <p class="panel-hint">Owner: everything. Manager: numbers, routes, reports, callers' numbers. Viewer: reports and calls, callers masked.</p></header>
      <div class="table-scroll" tabindex="0" aria-labelledby="users-title">
        <table class="data-table" id="users-list">
          <thead><tr><th scope="col">Username</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="panel-state" id="users-state" role="status"></p>
    </section>
    <section class="panel" aria-labelledby="user-form-title">
      <h2 id="user-form-title">Add a user</h2>
      <form id="user-form" class="grid-form" novalidate>
        <div class="form-field"><label for="field-username">Username</label>
          <input id="field-username" name="username" autocomplete="off" aria-describedby="error-username">
          <p class="field-error" id="error-username" role="status"></p></div>
        <div class="form-field"><label for="field-password">Password</label>
          <input id="field-password" name="password" type="password" autocomplete="new-password" aria-describedby="hint-password error-password">
          <p class="field-hint" id="hint-password">At least ${MIN_PASSWORD_LENGTH} characters</p>
          <p class="field-error" id="error-password" role="status"></p></div>
        <div class="form-field"><label for="field-role">Role</label>
          <select id="field-role" name="role" aria-describedby="error-role">${roles}</select>
          <p class="field-error" id="error-role" role="status"></p></div>
        <p class="form-error" id="form-error" role="alert" hidden></p>
        <div class="form-actions"><button type="submit" class="button">Add user</button></div>
      </form>
    </section>`;
}
