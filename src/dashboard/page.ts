// The dashboard's HTML: the page frame, the range picker as a plain GET form, and empty panels
// that public/dashboard.js fills from the report API. No inline script or style (the CSP forbids
// them).

import { can } from '../domain/team.js';
import type { Principal } from '../security/admin-auth.js';
import { renderDocumentHead } from './document-head.js';
import { escapeHtml } from './html.js';
import { renderNav } from './layout.js';
import { RANGE_PRESETS, type DashboardRange } from './range.js';

export interface DashboardPage {
  range: DashboardRange;
  /** Today in `timeZone`, YYYY-MM-DD: the presets and the date inputs' upper bound count from it. */
  today: string;
  qualifiedCallSeconds: number;
  /** The TIMEZONE setting: the zone of the days and hours shown, and of routes that name none. */
  timeZone: string;
  /** Who is looking: the navigation, the panels their role may use, the CSRF token for changes. */
  principal: Principal;
}


function kpi(id: string, title: string): string {
  return `<article class="kpi" id="kpi-${id}">
        <h2 class="kpi-title">${title}</h2>
        <p class="kpi-value" data-kpi="${id}">–</p>
        <p class="kpi-note" data-kpi-note="${id}">&nbsp;</p>
        <p class="kpi-note kpi-change" data-kpi-change="${id}">&nbsp;</p>
      </article>`;
}

function panelState(): string {
  return `<p class="panel-state" data-state hidden></p>`;
}

/** A half-width panel with a title, a hint and a table the page script fills (`<id>-table`). */
function hintedTablePanel(panel: { id: string; title: string; hint: string; columns: string[]; noteId?: string }): string {
  const { id, title, hint, columns, noteId } = panel;
  const headings = columns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('');
  return `    <section class="panel span-6" id="${id}-panel" aria-labelledby="${id}-title">
      <header class="panel-head">
        <h2 id="${id}-title">${escapeHtml(title)}</h2>
        <p class="panel-hint">${escapeHtml(hint)}</p>
      </header>
      <div class="table-scroll" tabindex="0" aria-labelledby="${id}-title">
        <table class="data-table" id="${id}-table">
          <thead><tr>${headings}</tr></thead>
          <tbody></tbody>
        </table>
      </div>
${noteId ? `      <p class="table-note" id="${noteId}"></p>\n` : ''}      ${panelState()}
    </section>`;
}

export function renderDashboardPage(page: DashboardPage): string {
  const { range, today, qualifiedCallSeconds, timeZone, principal } = page;
  const presets = RANGE_PRESETS.map(
    (days) => `<button type="submit" name="days" value="${days}" class="segment" aria-pressed="${range.preset === days}">${days} days</button>`,
  ).join('\n          ');
  const attr = (value: string | number) => escapeHtml(String(value));

  return `${renderDocumentHead({
    title: 'Calls dashboard', assets: '/dashboard/assets', csrfToken: principal.csrfToken ?? '',
    scripts: ['chart.umd.min.js', 'libphonenumber-min.js', 'common.js', 'dashboard.js', 'dni-panel.js'],
  })}
<body>
  <header class="masthead">
    <div class="masthead-inner">
      <div class="masthead-title">
        <h1>Calls dashboard</h1>
        <p class="muted" id="range-label">${attr(range.from)} to ${attr(range.to)} · ${attr(timeZone)}</p>
      </div>
      <form class="range-picker" id="range-form" method="get" action="/dashboard" novalidate>
        <div class="segmented" role="group" aria-label="Preset ranges">
          ${presets}
        </div>
        <div class="custom-range">
          <label class="field"><span>From</span>
            <input type="date" name="from" id="range-from" value="${attr(range.from)}" max="${attr(today)}" required></label>
          <label class="field"><span>To</span>
            <input type="date" name="to" id="range-to" value="${attr(range.to)}" max="${attr(today)}" required></label>
          <button type="submit" class="button" id="range-apply">Apply</button>
        </div>
        <p class="range-error" id="range-error" role="alert" hidden></p>
      </form>
      ${renderNav(principal, '/dashboard')}
    </div>
  </header>

  <main class="dashboard" id="dashboard" aria-busy="true"
        data-from="${attr(range.from)}" data-to="${attr(range.to)}" data-today="${attr(today)}"
        data-qualified-seconds="${attr(qualifiedCallSeconds)}" data-time-zone="${attr(timeZone)}">
    <div class="banner" id="load-error" role="alert" hidden>
      <p><strong>The figures could not be loaded.</strong> <span id="load-error-detail"></span></p>
      <button type="button" class="button" id="retry">Try again</button>
    </div>

    <section class="kpis" aria-label="Key figures">
      ${kpi('calls', 'Calls')}
      ${kpi('answer-rate', 'Answer rate')}
      ${kpi('qualified', 'Qualified calls')}
      ${kpi('talk-time', 'Average talk time')}
    </section>

    <section class="panel span-4" id="daily-panel" aria-labelledby="daily-title">
      <header class="panel-head">
        <h2 id="daily-title">Calls per day</h2>
        <p class="panel-hint"><span class="key key-answered" aria-hidden="true"></span>answered <span class="key key-missed" aria-hidden="true"></span>missed</p>
      </header>
      <div class="chart-box chart-daily"><canvas id="daily-chart" role="img" aria-label="Calls per day by campaign, answered and missed"></canvas></div>
      <ul class="legend" id="daily-legend" aria-label="Campaign colours"></ul>
      ${panelState()}
    </section>

    <section class="panel span-2" id="rate-panel" aria-labelledby="rate-title">
      <header class="panel-head">
        <h2 id="rate-title">Answer rate by campaign</h2>
        <p class="panel-hint">Answered ÷ (answered + missed)</p>
      </header>
      <div class="chart-box chart-rate"><canvas id="rate-chart" role="img" aria-label="Answer rate per campaign"></canvas></div>
      ${panelState()}
    </section>

    <section class="panel span-6" id="campaigns-panel" aria-labelledby="campaigns-title">
      <header class="panel-head">
        <h2 id="campaigns-title">Campaigns</h2>
        <a class="button button-quiet" id="report-csv" href="/api/report.csv" download>Download CSV</a>
      </header>
      <div class="table-scroll" tabindex="0" aria-labelledby="campaigns-title">
        <table class="data-table" id="campaigns-table">
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col" class="num">Calls</th>
              <th scope="col" class="num">Unique callers</th>
              <th scope="col" class="num">First-time callers</th>
              <th scope="col" class="num">Answered</th>
              <th scope="col" class="num">Missed</th>
              <th scope="col" class="num">Answer rate</th>
              <th scope="col" class="num">Avg talk time</th>
              <th scope="col" class="num" title="Answered with at least ${attr(qualifiedCallSeconds)} s of talk time">Qualified calls</th>
              <th scope="col" class="num" title="Missed calls whose caller left a message">Voicemails</th>
              <th scope="col" class="num">Recorded</th>
              <th scope="col">Tracking numbers</th>
            </tr>
          </thead>
          <tbody></tbody>
          <tfoot></tfoot>
        </table>
      </div>
      ${panelState()}
    </section>

    <section class="panel span-6" id="heatmap-panel" aria-labelledby="heatmap-title">
      <header class="panel-head">
        <h2 id="heatmap-title">When people call</h2>
        <p class="panel-hint">Calls by weekday and hour, ${attr(timeZone)}</p>
      </header>
      <div class="table-scroll heatmap-scroll" tabindex="0" aria-labelledby="heatmap-title">
        <div class="heatmap" id="heatmap" role="table" aria-label="Calls by weekday and hour (${attr(timeZone)})"></div>
      </div>
      <p class="heatmap-scale" id="heatmap-scale"></p>
      <p class="heatmap-summary" id="heatmap-summary"></p>
      ${panelState()}
    </section>

    <section class="panel span-6" id="dni-panel" aria-labelledby="dni-title">
      <header class="panel-head">
        <h2 id="dni-title">Website visitors</h2>
        <p class="panel-hint">Calls credited to website visits, and number pool sizing, last 30 days</p>
      </header>
      <div class="table-scroll" tabindex="0" aria-label="Calls by source">
        <table class="data-table" id="dni-sources-table">
          <thead><tr><th scope="col">Source</th><th scope="col">Medium</th><th scope="col" class="num">Calls</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <div class="table-scroll" tabindex="0" aria-label="Number pools">
        <table class="data-table" id="dni-pools-table">
          <thead>
            <tr>
              <th scope="col">Pool</th>
              <th scope="col" class="num">Numbers</th>
              <th scope="col" class="num" title="Most visits holding a number of the pool at once">Peak concurrent visits</th>
              <th scope="col" class="num" title="Calls to a number two visits held at once">Ambiguous calls</th>
              <th scope="col">Pool size</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
      ${panelState()}
    </section>

    <section class="panel span-6" id="calls-panel" aria-labelledby="calls-title">
      <header class="panel-head">
        <h2 id="calls-title">Latest calls</h2>
        <a class="button button-quiet" id="calls-csv" href="/api/calls.csv" download>Download calls CSV</a>
      </header>
      <div class="table-scroll" tabindex="0" aria-labelledby="calls-title">
        <table class="data-table" id="calls-table">
          <thead>
            <tr>
              <th scope="col">Started (${attr(timeZone)})</th>
              <th scope="col">Campaign</th>
              <th scope="col">Outcome</th>
              <th scope="col" class="num">Talk time</th>
              <th scope="col">Caller</th>
              <th scope="col">Tracking number</th>
              <th scope="col">Recording</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="table-note" id="calls-note"></p>
      ${panelState()}
    </section>

${hintedTablePanel({
      id: 'numbers', title: 'Numbers and their routes',
      hint: `${can(principal.role, 'numbers') ? 'Changed on the Numbers page' : 'Read-only'}. Hours in each route's time zone`,
      columns: ['Tracking number', 'Campaign', 'Open', 'Rings', 'Closed or unanswered', 'Blocks', 'Recording'], noteId: 'block-list-note',
    })}
${can(principal.role, 'account') ? hintedTablePanel({
      id: 'webhooks', title: 'Outgoing webhooks',
      hint: 'Subscriptions are set through the webhooks API; their latest deliveries',
      columns: ['Receiver', 'Events', 'State', 'Latest deliveries', 'Last problem', 'Test'],
    }) : ''}
  </main>

  <footer class="footnote">
    <p>Days and hours in ${attr(timeZone)} (TIMEZONE). A qualified call is an answered call with at least ${attr(qualifiedCallSeconds)} seconds of talk time.
    Callers' numbers are masked here; ${can(principal.role, 'callers') ? 'the CSV downloads hold them in full' : 'the CSV downloads too'}.</p>
  </footer>
</body>
</html>
`;
}
