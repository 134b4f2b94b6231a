// The numbers page: every tracking number with its campaign, forwarding, whisper and route; for
// roles that may change them, a form whose fields show the API's validation messages beside them;
// and the number pools website visitors are shown numbers from, with a form of their own for the
// same roles (the pools API's rule).

import { DEFAULT_HOLD_SECONDS } from '../domain/attribution/pools.js';

export function renderNumbersMain(canEdit: boolean): string {
  const form = !canEdit ? '' : `
    <section class="panel" aria-labelledby="number-form-title">
      <h2 id="number-form-title">Add or change a number</h2>
      <form id="number-form" class="grid-form" novalidate>
        ${field('number', 'Tracking number', 'text', 'The Vonage number, in international form: +44 7700 900101', 'tel')}
        ${field('campaign', 'Campaign', 'text', 'What the number advertises, e.g. Radio spot')}
        ${field('forwardTo', 'Forward to', 'text', 'Empty: the business phone (PROXY_TO_NUMBER) or the route’s destinations', 'tel')}
        ${field('whisper', 'Whisper', 'text', 'Read to whoever answers, before the caller is connected')}
        <div class="form-field form-field-wide">
          <label for="field-route">Route (JSON)</label>
          <textarea id="field-route" name="route" rows="5" aria-describedby="hint-route error-route" spellcheck="false"></textarea>
          <p class="field-hint" id="hint-route">Opening hours, destinations and the closed action, as the numbers API takes them (README, Routing). Empty: none.</p>
          <p class="field-error" id="error-route" role="status"></p>
        </div>
        <p class="form-error" id="form-error" role="alert" hidden></p>
        <div class="form-actions">
          <button type="submit" class="button" id="number-save">Save number</button>
          <button type="reset" class="button button-plain">Clear</button>
        </div>
      </form>
    </section>`;
  return `
    <section class="panel" aria-labelledby="numbers-list-title">
      <header class="panel-head"><h2 id="numbers-list-title">Tracking numbers</h2></header>
      <div class="table-scroll" tabindex="0" aria-labelledby="numbers-list-title">
        <table class="data-table" id="numbers-list">
          <thead><tr>
            <th scope="col">Tracking number</th><th scope="col">Campaign</th><th scope="col">Forwards to</th>
            <th scope="col">Whisper</th><th scope="col">Route</th>${canEdit ? '<th scope="col"><span class="visually-hidden">Actions</span></th>' : ''}
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="panel-state" id="numbers-state" role="status"></p>
    </section>${form}
    <section class="panel" aria-labelledby="pools-list-title">
      <header class="panel-head">
        <h2 id="pools-list-title">Number pools for website visitors</h2>
        <p class="panel-hint">Each visitor is shown a number of the pool in place of the number it replaces (README, Website attribution)</p>
      </header>
      <div class="table-scroll" tabindex="0" aria-labelledby="pools-list-title">
        <table class="data-table" id="pools-list">
          <thead><tr>
            <th scope="col">Pool</th><th scope="col">Campaign</th><th scope="col">Replaces on the website</th>
            <th scope="col">Numbers</th><th scope="col" class="num">Held after a visit's last sign of life</th>${canEdit ? '<th scope="col"><span class="visually-hidden">Actions</span></th>' : ''}
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="panel-state" id="pools-state" role="status"></p>
    </section>${!canEdit ? '' : `
    <section class="panel" aria-labelledby="pool-form-title">
      <h2 id="pool-form-title">Add or change a pool</h2>
      <form id="pool-form" class="grid-form" novalidate>
        ${field('id', 'Pool id', 'text', 'What the website tag names: lower-case letters, digits, - or _, e.g. website', undefined, 'pool-')}
        ${field('campaign', 'Pool campaign', 'text', 'The campaign of its numbers, e.g. Website', undefined, 'pool-')}
        ${field('replaces', 'Replaces', 'text', 'The business number on your pages, e.g. +44 20 7946 0000', 'tel', 'pool-')}
        ${field('holdMinutes', 'Hold (minutes)', 'number', `How long a visit keeps its number after its last sign of life; empty: ${DEFAULT_HOLD_SECONDS / 60}`, 'numeric', 'pool-')}
        <div class="form-field form-field-wide">
          <label for="pool-field-numbers">Pool numbers</label>
          <textarea id="pool-field-numbers" name="numbers" rows="4" aria-describedby="pool-hint-numbers pool-error-numbers" spellcheck="false"></textarea>
          <p class="field-hint" id="pool-hint-numbers">One Vonage number a line, each in one pool only; they become tracking numbers of the pool's campaign</p>
          <p class="field-error" id="pool-error-numbers" role="status"></p>
        </div>
        <p class="form-error" id="pool-form-error" role="alert" hidden></p>
        <div class="form-actions">
          <button type="submit" class="button">Save pool</button>
          <button type="reset" class="button button-plain">Clear</button>
        </div>
      </form>
    </section>`}`;
}

/** A labelled input with its hint and its error line; `idPrefix` keeps two forms' ids apart on one page. */
function field(name: string, label: string, type: string, hint: string, inputMode?: string, idPrefix = ''): string {
  return `<div class="form-field">
          <label for="${idPrefix}field-${name}">${label}</label>
          <input id="${idPrefix}field-${name}" name="${name}" type="${type}"${inputMode ? ` inputmode="${inputMode}"` : ''} aria-describedby="${idPrefix}hint-${name} ${idPrefix}error-${name}">
          <p class="field-hint" id="${idPrefix}hint-${name}">${hint}</p>
          <p class="field-error" id="${idPrefix}error-${name}" role="status"></p>
        </div>`;
}
