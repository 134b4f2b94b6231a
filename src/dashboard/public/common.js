// Shared by the dashboard's pages: calls to the API (with the session's CSRF token on changes),
// phone numbers formatted as people write them (libphonenumber-js, loaded before this as a
// global), times in the business's time zone, and field errors from the API's 400 answers.
'use strict';

window.dashboard = (() => {
  const main = /** @type {HTMLElement} */ (document.querySelector('main'));
  const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const timeZone = main.dataset.timeZone || 'UTC';
  const timeFormat = new Intl.DateTimeFormat(undefined, {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone,
  });

  class ApiError extends Error {
    /** @param {number} status @param {string} message */
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /**
   * An address on this server, on location.origin: a page opened as http://user:token@host/…
   * has the credentials in its own address, and fetch() refuses any URL resolved against it.
   * @param {string} path
   */
  const apiUrl = (path) => new URL(path, location.origin).href;

  /** @param {string} path @param {{ method?: string, body?: unknown }} [options] */
  async function api(path, options = {}) {
    const headers = { accept: 'application/json', 'x-csrf-token': csrfToken };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(apiUrl(path), {
      method: options.method ?? 'GET', headers, credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (res.status === 401) {
      // The session ended (signed out elsewhere, expired, revoked): back to the login page.
      location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    }
    if (res.status === 204) return null;
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, body.message ?? `the server answered ${res.status}`);
    return body;
  }

  /** E.164 digits → "+44 7700 900101"; masked or unknown numbers as they are. @param {string | null} digits */
  function phone(digits) {
    if (digits === null || digits === undefined) return 'withheld';
    if (!/^\d+$/.test(digits)) return digits;
    try {
      return window.libphonenumber.parsePhoneNumberFromString(`+${digits}`)?.formatInternational() ?? `+${digits}`;
    } catch {
      return `+${digits}`;
    }
  }

  const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone });

  /** @param {string | null} iso */
  const time = (iso) => (iso ? timeFormat.format(new Date(iso)) : '–');
  /** The time of day to the second, for events a few seconds apart. @param {string} iso */
  const clock = (iso) => clockFormat.format(new Date(iso));

  /** @param {number | null} seconds */
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    const m = Math.floor(seconds / 60);
    if (m === 0) return `${seconds} s`;
    return seconds % 60 ? `${m} min ${seconds % 60} s` : `${m} min`;
  }

  /**
   * @param {string} tag
   * @param {{ className?: string, text?: string, attrs?: Record<string, string> }} [options]
   * @param {(Node | string)[]} [children]
   */
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.text !== undefined) node.textContent = options.text;
    for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  /** @param {string} outcome */
  const outcomeBadge = (outcome) => el('span', { className: `badge badge-${outcome}`, text: outcome.replace('_', ' ') });

  /**
   * Clears the form's messages, then puts the API's message beside the field it names ("field" …):
   * in the field's own error line, the one of its aria-describedby with class field-error.
   * @param {HTMLFormElement} form @param {unknown} [error]
   */
  function showFormError(form, error) {
    for (const node of form.querySelectorAll('.field-error')) node.textContent = '';
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    const formError = form.querySelector('.form-error');
    if (formError) formError.hidden = true;
    if (error === undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    const field = /^"([\w]+)/.exec(message)?.[1];
    const input = /** @type {HTMLElement | null} */ (field ? form.querySelector(`[name="${field}"]`) : null);
    const beside = (input?.getAttribute('aria-describedby') ?? '').split(/\s+/)
      .map((id) => document.getElementById(id)).find((node) => node?.classList.contains('field-error'));
    if (input && beside) {
      beside.textContent = message;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } else if (formError) {
      formError.textContent = message;
      formError.hidden = false;
    }
  }

  /** @param {string} message */
  function showPageError(message) {
    const banner = /** @type {HTMLElement} */ (document.getElementById('page-error'));
    banner.textContent = message;
    banner.hidden = false;
  }

  /** Takes an earlier message away once what it was about has been done since. */
  function hidePageError() {
    /** @type {HTMLElement} */ (document.getElementById('page-error')).hidden = true;
  }

  return {
    api, apiUrl, phone, time, clock, duration, el, outcomeBadge, showFormError, showPageError, hidePageError, ApiError,
    canSeeCallers: main.dataset.canSeeCallers === 'true',
    canEditNumbers: main.dataset.canEditNumbers === 'true',
  };
})();
