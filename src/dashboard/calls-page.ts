// The calls page: every call, newest first, a page at a time, filtered by range, campaign, number,
// outcome and (for roles that may see callers) caller; a call opens to who answered, the talk
// time, the destinations rung, the website visit that brought it, and its events in order.

import { CALL_OUTCOMES } from '../domain/calls.js';

export function renderCallsMain(canSeeCallers: boolean): string {
  const outcomes = CALL_OUTCOMES.map((o) => `<option value="${o}">${o.replace('_', ' ')}</option>`).join('');
  return `
    <section class="panel" aria-labelledby="calls-filter-title">
      <h2 id="calls-filter-title">Filter</h2>
      <form id="calls-filter" class="grid-form filter-form">
        <div class="form-field"><label for="filter-since">From</label><input id="filter-since" name="since" type="date"></div>
        <div class="form-field"><label for="filter-until">Until (not included)</label><input id="filter-until" name="until" type="date"></div>
        <div class="form-field"><label for="filter-campaign">Campaign</label><input id="filter-campaign" name="campaign" list="campaign-choices">
          <datalist id="campaign-choices"></datalist></div>
        <div class="form-field"><label for="filter-number">Tracking number</label><input id="filter-number" name="number" inputmode="tel" list="number-choices">
          <datalist id="number-choices"></datalist></div>
        <div class="form-field"><label for="filter-outcome">Outcome</label>
          <select id="filter-outcome" name="outcome"><option value="">any</option>${outcomes}</select></div>
        ${canSeeCallers ? '<div class="form-field"><label for="filter-caller">Caller</label><input id="filter-caller" name="caller" inputmode="tel"></div>' : ''}
        <p class="form-error" id="form-error" role="alert" hidden></p>
        <div class="form-actions"><button type="submit" class="button">Show calls</button></div>
      </form>
    </section>
    <section class="panel" aria-labelledby="calls-list-title">
      <header class="panel-head"><h2 id="calls-list-title">Calls</h2><p class="panel-hint" id="live-state" role="status"></p></header>
      <div class="table-scroll" tabindex="0" aria-labelledby="calls-list-title">
        <table class="data-table" id="calls-list">
          <thead><tr>
            <th scope="col">Started</th><th scope="col">Campaign</th><th scope="col">Tracking number</th><th scope="col">Caller</th>
            <th scope="col">Outcome</th><th scope="col" class="num">Talk time</th><th scope="col">Answered by</th>
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="panel-state" id="calls-state" role="status"></p>
      <button type="button" class="button button-plain" id="calls-more" hidden>Show older calls</button>
    </section>`;
}
