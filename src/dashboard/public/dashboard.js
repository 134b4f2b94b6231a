// The dashboard's client: reads the report API for the chosen range (same origin, so the browser
// re-sends the admin credentials) and fills the panels the server rendered. Every API address is
// built by common.js's apiUrl, which works from a page opened with credentials in its address.
// Plain browser JavaScript: no build step, no framework; Chart.js is loaded before it as a global.
'use strict';

(() => {
  const DAY_MS = 86_400_000;
  const PRESETS = [7, 30, 90];
  const DEFAULT_PRESET = 30;
  const MAX_RANGE_DAYS = 731;
  const LATEST_CALLS = 10;
  const RATE_LABEL_CHARS = 22;
  /** Distinct, colour-blind-friendly hues, dark enough for white text and for thin bars. */
  const PALETTE = ['#1d4ed8', '#d97706', '#0f766e', '#c026d3', '#dc2626', '#4d7c0f', '#7c3aed', '#0369a1', '#b45309', '#be185d'];
  const NO_CAMPAIGN_COLOUR = '#64748b';
  const IN_PROGRESS_COLOUR = '#cbd5e1';
  /** Heatmap cells run from this pale blue to the dark one as counts rise. */
  const HEAT_LOW = [219, 230, 254];
  const HEAT_HIGH = [30, 58, 138];
  /** Monday first, as a working week reads; the API counts Sunday as day 0. */
  const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];
  const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

  const main = /** @type {HTMLElement} */ (document.getElementById('dashboard'));
  const form = /** @type {HTMLFormElement} */ (document.getElementById('range-form'));
  const fromInput = /** @type {HTMLInputElement} */ (document.getElementById('range-from'));
  const toInput = /** @type {HTMLInputElement} */ (document.getElementById('range-to'));
  const rangeError = /** @type {HTMLElement} */ (document.getElementById('range-error'));
  const today = main.dataset.today ?? new Date().toISOString().slice(0, 10);
  const qualifiedSeconds = Number(main.dataset.qualifiedSeconds);
  /** The business's zone (TIMEZONE): the days and hours of the figures, and of the calls' times. */
  const timezone = main.dataset.timeZone ?? 'UTC';
  /** The session's, sent with every change; empty when the browser signed in with ADMIN_TOKEN (Basic), which needs none. */
  const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  const numberFormat = new Intl.NumberFormat();
  const dayLabel = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const longDay = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const rangeDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const callTime = new Intl.DateTimeFormat(undefined, {
    day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: timezone,
  });
  const weekdayName = new Intl.DateTimeFormat(undefined, { weekday: 'long', timeZone: 'UTC' });

  /** @type {{ preset: number | null, from: string, to: string }} */
  let range = { preset: presetOf(main.dataset.from, main.dataset.to), from: main.dataset.from ?? today, to: main.dataset.to ?? today };
  /** @type {Record<string, any>} */
  const charts = {};
  let loadSequence = 0;

  // Dates and ranges (whole UTC days, the last one included)

  /** @param {string} day @param {number} days */
  function addDays(day, days) {
    return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
  }

  /** @param {string} from @param {string} to */
  function daysBetween(from, to) {
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
  }

  /** @param {number} days */
  function presetRange(days) {
    return { preset: days, from: addDays(today, -(days - 1)), to: today };
  }

  /** @param {string | undefined} from @param {string | undefined} to */
  function presetOf(from, to) {
    if (to !== today || from === undefined) return null;
    return PRESETS.find((days) => addDays(today, -(days - 1)) === from) ?? null;
  }

  /** @param {string | null} day */
  function isDay(day) {
    return day !== null && /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));
  }

  function rangeFromLocation() {
    const params = new URLSearchParams(location.search);
    const days = Number(params.get('days'));
    if (PRESETS.includes(days)) return presetRange(days);
    const from = params.get('from');
    const to = params.get('to') || today;
    if (isDay(from) && isDay(to) && from <= to) return { preset: presetOf(from, to), from, to };
    return presetRange(DEFAULT_PRESET);
  }

  function apiQuery() {
    // Bare dates: the API reads them as days in `tz`.
    return new URLSearchParams({ since: range.from, until: addDays(range.to, 1), tz: timezone });
  }

  /** The same number of days just before the range, which each summary card is compared with. */
  function previousQuery() {
    return new URLSearchParams({ since: addDays(range.from, -daysBetween(range.from, range.to)), until: range.from, tz: timezone });
  }

  // Formatting

  /** @param {number} n */
  const count = (n) => numberFormat.format(n);

  /** @param {number | null} rate */
  const percent = (rate) => (rate === null ? '–' : `${Math.round(rate * 100)}%`);

  /** @param {number | null} seconds */
  function duration(seconds) {
    if (seconds === null) return '–';
    const total = Math.round(seconds);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
    if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
    return `${s}s`;
  }

  /** E.164 digits as people of the number's country write them; an address on this server (common.js). */
  const { phone, apiUrl } = window.dashboard;

  /** @param {string[]} numbers */
  const listNumbers = (numbers) => numbers.map(phone).join(', ');

  /** @param {string | null} campaign */
  const campaignName = (campaign) => campaign ?? 'No campaign';
  /** @param {string | null} campaign */
  const campaignKey = (campaign) => (campaign === null ? '\u0000none' : `c:${campaign}`);

  // DOM helpers

  /**
   * @param {string} tag
   * @param {{ className?: string, text?: string, title?: string, attrs?: Record<string, string> }} [options]
   * @param {(Node | string)[]} [children]
   */
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.text !== undefined) node.textContent = options.text;
    if (options.title) node.title = options.title;
    for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  /** @param {string} colour */
  function swatch(colour) {
    const node = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
    node.style.backgroundColor = colour;
    return node;
  }

  /** @param {string} hex @param {number} alpha */
  function tint(hex, alpha) {
    const n = Number.parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }

  /**
   * Diagonal stripes in the campaign's colour: missed calls stay apart from answered ones for
   * people who cannot tell a pale tint from a solid one.
   * @param {string} colour
   */
  function stripes(colour) {
    const tile = document.createElement('canvas');
    tile.width = 8;
    tile.height = 8;
    const ctx = /** @type {CanvasRenderingContext2D} */ (tile.getContext('2d'));
    ctx.fillStyle = tint(colour, 0.22);
    ctx.fillRect(0, 0, 8, 8);
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    ctx.moveTo(-2, 10);
    ctx.lineTo(10, -2);
    ctx.moveTo(-2, 2);
    ctx.lineTo(2, -2);
    ctx.moveTo(6, 10);
    ctx.lineTo(10, 6);
    ctx.stroke();
    return /** @type {CanvasPattern} */ (ctx.createPattern(tile, 'repeat'));
  }

  /** @param {number[]} rgb relative luminance, as WCAG defines it */
  function luminance(rgb) {
    const [r, g, b] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * /** @type {number} */ (r) + 0.7152 * /** @type {number} */ (g) + 0.0722 * /** @type {number} */ (b);
  }

  /** White or ink, whichever contrasts more with the background. @param {number[]} rgb */
  function textOn(rgb) {
    const l = luminance(rgb);
    const ink = luminance([23, 32, 51]);
    return 1.05 / (l + 0.05) > (l + 0.05) / (ink + 0.05) ? '#ffffff' : '#172033';
  }

  /**
   * Shows a panel's content, or in its place a message ('empty' or 'failed').
   * @param {string} id @param {'ready' | 'empty' | 'failed'} state @param {string} [message]
   */
  function setPanelState(id, state, message = '') {
    const panel = /** @type {HTMLElement} */ (document.getElementById(id));
    const note = /** @type {HTMLElement} */ (panel.querySelector('[data-state]'));
    panel.classList.toggle('is-empty', state === 'empty');
    panel.classList.toggle('is-failed', state === 'failed');
    note.hidden = state === 'ready';
    note.textContent = message;
  }

  /** @param {string} id @param {string} value @param {string} note @param {string} [change] */
  function setKpi(id, value, note, change = '') {
    const valueNode = /** @type {HTMLElement} */ (main.querySelector(`[data-kpi="${id}"]`));
    const noteNode = /** @type {HTMLElement} */ (main.querySelector(`[data-kpi-note="${id}"]`));
    const changeNode = /** @type {HTMLElement} */ (main.querySelector(`[data-kpi-change="${id}"]`));
    valueNode.textContent = value;
    noteNode.textContent = note || '\u00a0';
    changeNode.textContent = change || '\u00a0';
  }

  // Data

  /** What went wrong, said so that the reader knows whose move it is. @param {Response} res @param {string} reason */
  function failureMessage(res, reason) {
    if (res.status === 401) return 'Your login was refused (401): reload the page and give ADMIN_TOKEN as the password.';
    // The server is fine but its database is not answering (an outage it rides out): nobody's log to read.
    if (res.status === 503) return `The server could not read its database (503${reason ? `: ${reason}` : ''}).`;
    if (res.status >= 500) return `The server failed (${res.status}${reason ? `: ${reason}` : ''}); its log says why.`;
    return `The request was refused (${res.status}${reason ? `: ${reason}` : ''}).`;
  }

  /** @param {string} path */
  async function getJson(path) {
    let res;
    try {
      res = await fetch(apiUrl(path), { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    } catch {
      throw new Error(navigator.onLine === false
        ? 'This browser is offline: check the network connection.'
        : 'No answer from the server (network error): check that call-tracker is running and reachable.');
    }
    if (!res.ok) {
      let reason = res.statusText;
      try {
        reason = (await res.json()).message ?? reason;
      } catch {
        // not a JSON error body; the status text will do
      }
      throw new Error(failureMessage(res, reason));
    }
    return res.json();
  }

  async function load() {
    const sequence = ++loadSequence;
    main.setAttribute('aria-busy', 'true');
    main.dataset.status = 'loading';
    showRange();
    const query = apiQuery();
    try {
      const [report, previous, daily, hours, latest] = await Promise.all([
        getJson(`/api/report?${query}`),
        getJson(`/api/report?${previousQuery()}`),
        getJson(`/api/report/daily?${query}`),
        getJson(`/api/report/hour-of-week?${query}`),
        getJson(`/dashboard/latest-calls?${query}&limit=${LATEST_CALLS}`),
      ]);
      if (sequence !== loadSequence) return; // a newer range was chosen meanwhile
      render(report, previous, daily, hours, latest);
      /** @type {HTMLElement} */ (document.getElementById('load-error')).hidden = true;
      main.dataset.status = 'ready';
    } catch (error) {
      if (sequence !== loadSequence) return;
      showFailure(error instanceof Error ? error.message : String(error));
      main.dataset.status = 'failed';
    } finally {
      if (sequence === loadSequence) main.setAttribute('aria-busy', 'false');
    }
  }

  /** @param {string} detail */
  function showFailure(detail) {
    const banner = /** @type {HTMLElement} */ (document.getElementById('load-error'));
    /** @type {HTMLElement} */ (document.getElementById('load-error-detail')).textContent = detail;
    banner.hidden = false;
    for (const id of ['calls', 'answer-rate', 'qualified', 'talk-time']) setKpi(id, '–', '');
    for (const id of ['daily-panel', 'rate-panel', 'campaigns-panel', 'heatmap-panel', 'calls-panel']) {
      setPanelState(id, 'failed', 'Could not load these figures.');
    }
    destroyCharts();
  }

  function destroyCharts() {
    for (const key of Object.keys(charts)) {
      charts[key].destroy();
      delete charts[key];
    }
  }

  // Rendering

  /** @param {any} report @param {any} previous the report of the period before @param {any} daily @param {any} hours @param {any} latest */
  function render(report, previous, daily, hours, latest) {
    const rows = [...report.rows].sort((a, b) => b.calls - a.calls || (a.campaign === null ? 1 : b.campaign === null ? -1 : a.campaign.localeCompare(b.campaign)));
    /** @type {Map<string, string>} */
    const colours = new Map();
    for (const row of rows) {
      colours.set(campaignKey(row.campaign), row.campaign === null ? NO_CAMPAIGN_COLOUR : PALETTE[colours.size % PALETTE.length]);
    }
    /** @param {string | null} campaign */
    const colourOf = (campaign) => {
      const key = campaignKey(campaign);
      if (!colours.has(key)) colours.set(key, campaign === null ? NO_CAMPAIGN_COLOUR : PALETTE[colours.size % PALETTE.length]);
      return /** @type {string} */ (colours.get(key));
    };

    renderKpis(report.totals, previous.totals);
    destroyCharts();
    const empty = report.totals.calls === 0;
    const emptyMessage = 'No calls in this range';
    if (empty) {
      for (const id of ['daily-panel', 'rate-panel', 'campaigns-panel', 'heatmap-panel', 'calls-panel']) setPanelState(id, 'empty', emptyMessage);
      return;
    }
    renderCampaignTable(rows, report.totals, colourOf);
    renderDailyChart(daily.days, rows, colourOf);
    renderRateChart(rows, colourOf);
    renderHeatmap(hours.counts);
    renderLatestCalls(latest.calls, report.totals.calls, colourOf);
  }

  /**
   * How a figure moved since the period before: a relative change for counts and times, points
   * for a rate (a rate's relative change reads as nonsense). @param {number | null} now
   * @param {number | null} before @param {'relative' | 'points'} kind
   */
  function change(now, before, kind) {
    const days = daysBetween(range.from, range.to);
    const period = days === 1 ? 'previous day' : `previous ${days} days`;
    if (now === null || before === null) return `– vs ${period}`;
    if (kind === 'points') {
      const points = Math.round((now - before) * 100);
      return points === 0 ? `Same as ${period}` : `${points > 0 ? '+' : '−'}${Math.abs(points)} pts vs ${period}`;
    }
    if (before === 0) return now === 0 ? `Same as ${period}` : `None in the ${period}`;
    const percentChange = Math.round(((now - before) / before) * 100);
    return percentChange === 0 ? `Same as ${period}` : `${percentChange > 0 ? '+' : '−'}${Math.abs(percentChange)}% vs ${period}`;
  }

  /** @param {any} totals @param {any} before the totals of the period before */
  function renderKpis(totals, before) {
    setKpi('calls', count(totals.calls), `${count(totals.uniqueCallers)} unique callers · ${count(totals.firstTimeCallers)} first-time`,
      change(totals.calls, before.calls, 'relative'));
    setKpi('answer-rate', percent(totals.answerRate), `${count(totals.answered)} answered · ${count(totals.missed)} missed`,
      change(totals.answerRate, before.answerRate, 'points'));
    const share = totals.calls > 0 ? ` · ${Math.round((totals.qualifiedCalls / totals.calls) * 100)}% of calls` : '';
    setKpi('qualified', count(totals.qualifiedCalls), `≥ ${qualifiedSeconds}s talk time${share}`,
      change(totals.qualifiedCalls, before.qualifiedCalls, 'relative'));
    setKpi('talk-time', duration(totals.averageDurationSeconds), `${duration(totals.totalDurationSeconds)} in total`,
      change(totals.averageDurationSeconds, before.averageDurationSeconds, 'relative'));
  }

  /** @param {any[]} rows @param {any} totals @param {(c: string | null) => string} colourOf */
  function renderCampaignTable(rows, totals, colourOf) {
    const table = /** @type {HTMLTableElement} */ (document.getElementById('campaigns-table'));
    /** @param {any} row @param {Node} label @param {string} cellTag */
    const cells = (row, label, cellTag) => {
      const rateClass = row.answerRate === null ? 'num' : row.answerRate >= 0.8 ? 'num rate-good' : row.answerRate < 0.5 ? 'num rate-bad' : 'num';
      return [
        el(cellTag, cellTag === 'th' ? { attrs: { scope: 'row' } } : {}, [label]),
        el('td', { className: 'num', text: count(row.calls) }),
        el('td', { className: 'num', text: count(row.uniqueCallers) }),
        el('td', { className: 'num', text: count(row.firstTimeCallers) }),
        el('td', { className: 'num', text: count(row.answered) }),
        el('td', { className: 'num', text: count(row.missed) }),
        el('td', { className: rateClass, text: percent(row.answerRate) }),
        el('td', { className: 'num', text: duration(row.averageDurationSeconds) }),
        el('td', { className: 'num', text: count(row.qualifiedCalls) }),
        el('td', { className: 'num', text: count(row.voicemails) }),
        el('td', { className: 'num', text: count(row.recordedCalls) }),
        el('td', { className: 'numbers', text: listNumbers(row.trackingNumbers) }),
      ];
    };
    const body = rows.map((row) => {
      const label = el('span', { className: row.campaign === null ? 'campaign-cell no-campaign' : 'campaign-cell' },
        [swatch(colourOf(row.campaign)), campaignName(row.campaign)]);
      return el('tr', { attrs: { 'data-campaign': campaignName(row.campaign) } }, cells(row, label, 'th'));
    });
    /** @type {HTMLElement} */ (table.tBodies[0]).replaceChildren(...body);
    // Every number is listed above; the totals row only counts them.
    const numbers = totals.trackingNumbers.length;
    const totalsRow = { ...totals, trackingNumbers: [] };
    const footer = el('tr', {}, cells(totalsRow, document.createTextNode('All campaigns'), 'th'));
    /** @type {HTMLElement} */ (footer.lastElementChild).textContent = `${count(numbers)} ${numbers === 1 ? 'number' : 'numbers'}`;
    /** @type {HTMLElement} */ (table.tFoot).replaceChildren(footer);
    setPanelState('campaigns-panel', 'ready');
  }

  function chartDefaults() {
    const Chart = window.Chart;
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = '#556072';
    Chart.defaults.animation = matchMedia('(prefers-reduced-motion: reduce)').matches ? false : { duration: 300 };
  }

  /** @param {any[]} days @param {any[]} rows @param {(c: string | null) => string} colourOf */
  function renderDailyChart(days, rows, colourOf) {
    if (!window.Chart) {
      setPanelState('daily-panel', 'failed', 'The charting library did not load.');
      return;
    }
    const dayList = Array.from({ length: daysBetween(range.from, range.to) }, (_, i) => addDays(range.from, i));
    const index = new Map(dayList.map((day, i) => [day, i]));
    /** @type {Map<string, { campaign: string | null, answered: number[], missed: number[] }>} */
    const series = new Map();
    for (const row of rows) series.set(campaignKey(row.campaign), { campaign: row.campaign, answered: dayList.map(() => 0), missed: dayList.map(() => 0) });
    const inProgress = dayList.map(() => 0);
    for (const entry of days) {
      const i = index.get(entry.day);
      if (i === undefined) continue;
      const key = campaignKey(entry.campaign);
      if (!series.has(key)) series.set(key, { campaign: entry.campaign, answered: dayList.map(() => 0), missed: dayList.map(() => 0) });
      const s = /** @type {{ answered: number[], missed: number[] }} */ (series.get(key));
      s.answered[i] += entry.answered;
      s.missed[i] += entry.missed;
      inProgress[i] += entry.calls - entry.answered - entry.missed;
    }
    const datasets = [];
    for (const s of series.values()) {
      const colour = colourOf(s.campaign);
      datasets.push({ label: `${campaignName(s.campaign)}: answered`, data: s.answered, backgroundColor: colour, stack: 'calls' });
      datasets.push({ label: `${campaignName(s.campaign)}: missed`, data: s.missed, backgroundColor: stripes(colour), borderColor: colour, borderWidth: { top: 1 }, stack: 'calls' });
    }
    const showInProgress = inProgress.some((n) => n > 0);
    if (showInProgress) datasets.push({ label: 'In progress', data: inProgress, backgroundColor: IN_PROGRESS_COLOUR, stack: 'calls' });

    const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('daily-chart'));
    charts.daily = new window.Chart(canvas, {
      type: 'bar',
      data: { labels: dayList.map((day) => dayLabel.format(new Date(`${day}T00:00:00Z`))), datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        datasets: { bar: { maxBarThickness: 36, categoryPercentage: 0.85, barPercentage: 0.9 } },
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: (/** @type {any} */ item) => item.raw > 0,
            callbacks: { title: (/** @type {any[]} */ items) => (items[0] ? longDay.format(new Date(`${dayList[items[0].dataIndex]}T00:00:00Z`)) : '') },
          },
        },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, grid: { color: '#eef0f4' }, border: { display: false } },
        },
      },
    });

    const legend = /** @type {HTMLElement} */ (document.getElementById('daily-legend'));
    legend.replaceChildren(...[...series.values()].map((s) => el('li', {}, [swatch(colourOf(s.campaign)), campaignName(s.campaign)])));
    if (showInProgress) legend.append(el('li', { className: 'muted' }, [swatch(IN_PROGRESS_COLOUR), 'In progress (no outcome yet)']));
    setPanelState('daily-panel', 'ready');
  }

  /** Writes each bar's percentage at its end, so the chart reads without hovering. */
  const barValueLabels = {
    id: 'barValueLabels',
    /** @param {any} chart */
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.font = `600 12px ${window.Chart.defaults.font.family}`;
      ctx.textBaseline = 'middle';
      meta.data.forEach((/** @type {any} */ bar, /** @type {number} */ i) => {
        const value = chart.data.datasets[0].data[i];
        const text = `${Math.round(value)}%`;
        const inside = bar.x - bar.base > ctx.measureText(text).width + 16;
        ctx.fillStyle = inside ? '#ffffff' : '#172033';
        ctx.textAlign = inside ? 'right' : 'left';
        ctx.fillText(text, inside ? bar.x - 8 : bar.x + 6, bar.y);
      });
      ctx.restore();
    },
  };

  /** @param {any[]} rows @param {(c: string | null) => string} colourOf */
  function renderRateChart(rows, colourOf) {
    const rated = rows.filter((row) => row.answerRate !== null).sort((a, b) => b.answerRate - a.answerRate);
    if (rated.length === 0) {
      setPanelState('rate-panel', 'empty', 'No answered or missed calls in this range');
      return;
    }
    if (!window.Chart) {
      setPanelState('rate-panel', 'failed', 'The charting library did not load.');
      return;
    }
    const box = /** @type {HTMLElement} */ (document.querySelector('.chart-rate'));
    box.style.height = `${Math.max(220, 48 + rated.length * 36)}px`;
    const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('rate-chart'));
    charts.rate = new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels: rated.map((row) => campaignName(row.campaign)),
        datasets: [{ label: 'Answer rate', data: rated.map((row) => row.answerRate * 100), backgroundColor: rated.map((row) => colourOf(row.campaign)), borderRadius: 4 }],
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        datasets: { bar: { maxBarThickness: 26 } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (/** @type {any} */ item) => {
                const row = rated[item.dataIndex];
                return `${percent(row.answerRate)}: ${count(row.answered)} of ${count(row.answered + row.missed)} answered`;
              },
            },
          },
        },
        scales: {
          x: { min: 0, max: 100, ticks: { callback: (/** @type {number} */ v) => `${v}%`, stepSize: 25 }, grid: { color: '#eef0f4' }, border: { display: false } },
          y: {
            grid: { display: false },
            ticks: {
              color: '#172033',
              font: { weight: '600' },
              // Chart.js clips a label wider than its axis; the tooltip keeps the full name.
              callback(/** @type {number} */ value) {
                const label = campaignName(rated[value]?.campaign ?? null);
                return label.length > RATE_LABEL_CHARS ? `${label.slice(0, RATE_LABEL_CHARS - 1)}…` : label;
              },
            },
          },
        },
      },
      plugins: [barValueLabels],
    });
    setPanelState('rate-panel', 'ready');
  }

  /** @param {number[][]} counts */
  function renderHeatmap(counts) {
    const grid = /** @type {HTMLElement} */ (document.getElementById('heatmap'));
    const max = Math.max(0, ...counts.flat());
    const header = el('div', { className: 'heatmap-row', attrs: { role: 'row' } }, [
      el('span', { attrs: { role: 'columnheader' } }),
      ...Array.from({ length: 24 }, (_, hour) =>
        el('span', { className: 'heatmap-hour', text: hour % 3 === 0 ? String(hour).padStart(2, '0') : '', attrs: { role: 'columnheader', 'aria-label': `${hour}:00` } })),
    ]);
    const rows = WEEK_ORDER.map((weekday) => {
      const cells = (counts[weekday] ?? []).map((n, hour) => {
        const label = `${WEEKDAYS[weekday]} ${String(hour).padStart(2, '0')}:00–${String(hour + 1).padStart(2, '0')}:00 ${timezone}: ${n} ${n === 1 ? 'call' : 'calls'}`;
        const cell = el('span', { className: 'heatmap-cell', text: n > 0 ? String(n) : '', title: label, attrs: { role: 'cell', 'aria-label': label, 'data-count': String(n) } });
        if (n > 0) {
          // A floor keeps a single call visible next to a busy hour.
          const level = 0.15 + 0.85 * (n / max);
          const rgb = HEAT_LOW.map((low, i) => Math.round(low + (/** @type {number} */ (HEAT_HIGH[i]) - low) * level));
          cell.style.backgroundColor = `rgb(${rgb.join(', ')})`;
          cell.style.color = textOn(rgb);
        }
        return cell;
      });
      return el('div', { className: 'heatmap-row', attrs: { role: 'row' } }, [el('span', { className: 'heatmap-label', text: WEEKDAYS[weekday], attrs: { role: 'rowheader' } }), ...cells]);
    });
    grid.replaceChildren(header, ...rows);

    const scale = /** @type {HTMLElement} */ (document.getElementById('heatmap-scale'));
    scale.replaceChildren('Fewer');
    for (const level of [0.15, 0.43, 0.72, 1]) {
      const rgb = HEAT_LOW.map((low, i) => Math.round(low + (/** @type {number} */ (HEAT_HIGH[i]) - low) * level));
      scale.append(swatch(`rgb(${rgb.join(', ')})`));
    }
    scale.append(`More · busiest hour: ${count(max)} ${max === 1 ? 'call' : 'calls'}`);

    const byWeekday = counts.map((hours) => hours.reduce((a, b) => a + b, 0));
    const byHour = Array.from({ length: 24 }, (_, hour) => counts.reduce((sum, hours) => sum + (hours[hour] ?? 0), 0));
    const topWeekday = byWeekday.indexOf(Math.max(...byWeekday));
    const topHour = byHour.indexOf(Math.max(...byHour));
    const hourName = (/** @type {number} */ h) => `${String(h).padStart(2, '0')}:00`;
    const weekdayLabel = weekdayName.format(new Date(Date.UTC(2026, 10, 1 + topWeekday))); // 1 Nov 2026 was a Sunday
    /** @type {HTMLElement} */ (document.getElementById('heatmap-summary')).replaceChildren(
      'Busiest day ', el('strong', { text: weekdayLabel }), ` (${count(byWeekday[topWeekday] ?? 0)} calls) · busiest hour `,
      el('strong', { text: `${hourName(topHour)}–${hourName((topHour + 1) % 24)}` }), ` (${count(byHour[topHour] ?? 0)} calls)`,
    );
    setPanelState('heatmap-panel', 'ready');
  }

  const OUTCOMES = { answered: 'Answered', missed: 'Missed', in_progress: 'In progress', blocked: 'Blocked' };

  /** A player per stored recording or voicemail; the audio streams from the admin API, which serves byte ranges for seeking. @param {any[]} recordings */
  function recordingPlayers(recordings) {
    const playable = recordings.filter((r) => r.audioUrl !== null);
    if (playable.length === 0) return [el('span', { className: 'muted', text: recordings.length ? 'Downloading…' : '–' })];
    return playable.map((r) => el('audio', {
      className: `player player-${r.kind}`,
      attrs: { controls: '', preload: 'metadata', src: r.audioUrl, 'aria-label': r.kind === 'voicemail' ? 'Voicemail' : 'Call recording' },
    }));
  }

  /** @param {any[]} calls @param {number} callsInRange @param {(c: string | null) => string} colourOf */
  function renderLatestCalls(calls, callsInRange, colourOf) {
    const table = /** @type {HTMLTableElement} */ (document.getElementById('calls-table'));
    const rows = calls.map((call) => el('tr', {}, [
      el('td', { className: 'cell-started', text: callTime.format(new Date(call.startedAt)) }),
      el('td', { className: 'cell-campaign' }, [el('span', { className: call.campaign === null ? 'campaign-cell no-campaign' : 'campaign-cell' }, [swatch(colourOf(call.campaign)), campaignName(call.campaign)])]),
      el('td', { className: 'cell-outcome' }, [
        el('span', { className: `badge badge-${call.outcome}`, text: OUTCOMES[/** @type {keyof typeof OUTCOMES} */ (call.outcome)] ?? call.outcome }),
        ...(call.voicemail ? [' ', el('span', { className: 'badge badge-voicemail', text: 'Voicemail' })] : []),
      ]),
      call.outcome === 'answered'
        ? el('td', { className: 'num cell-talk', text: duration(call.durationSeconds), attrs: { 'data-label': 'Talk time' } })
        : el('td', { className: 'num cell-talk cell-none', text: '–' }),
      el('td', call.caller === null ? { className: 'muted cell-caller', text: 'Withheld' } : { className: 'caller cell-caller', text: call.caller }),
      el('td', { className: 'muted cell-number', text: call.trackingNumber === null ? '–' : phone(call.trackingNumber) }),
      el('td', { className: 'cell-recording' }, recordingPlayers(call.recordings)),
    ]));
    /** @type {HTMLElement} */ (table.tBodies[0]).replaceChildren(...rows);
    /** @type {HTMLElement} */ (document.getElementById('calls-note')).textContent = callsInRange > rows.length
      ? `The ${rows.length} latest of ${count(callsInRange)} calls in this range; the CSV has them all.`
      : '';
    setPanelState('calls-panel', rows.length > 0 ? 'ready' : 'empty', 'No calls in this range');
  }

  // Numbers and routes (they do not depend on the range: read once)

  /** @param {any} list */
  function describeBlocks(list) {
    const parts = [];
    if (list.numbers.length) parts.push(`${count(list.numbers.length)} ${list.numbers.length === 1 ? 'number' : 'numbers'}`);
    if (list.prefixes.length) parts.push(`numbers starting ${list.prefixes.map((/** @type {string} */ prefix) => `+${prefix}`).join(', ')}`);
    if (list.withheld) parts.push('withheld callers');
    return parts.join('; ');
  }

  /** @param {any} route */
  function describeHours(route) {
    if (route === null || (route.hours === null && route.closedDates.length === 0)) return 'Always';
    const zone = route.timeZone ?? main.dataset.timeZone;
    const days = route.hours === null
      ? ['Every day']
      : WEEK_ORDER.map((day) => {
        const spans = route.hours[WEEKDAYS[day].toLowerCase()] ?? [];
        return spans.length ? `${WEEKDAYS[day]} ${spans.map((/** @type {any} */ s) => `${s.from}–${s.to}`).join(', ')}` : null;
      }).filter(Boolean);
    const closed = route.closedDates.length ? [`closed ${route.closedDates.join(', ')}`] : [];
    return `${[...(days.length ? days : ['Never']), ...closed].join('; ')} (${zone})`;
  }

  /** @param {any} entry */
  function describeRinging(entry) {
    const destinations = entry.route?.destinations;
    if (!destinations) return entry.forwardTo ? phone(entry.forwardTo) : 'The default phone (PROXY_TO_NUMBER)';
    const list = destinations.map((/** @type {any} */ d) => (d.ringSeconds === null ? phone(d.number) : `${phone(d.number)} (${d.ringSeconds} s)`));
    return entry.route.strategy === 'round_robin' ? `Round robin: ${list.join(', ')}` : list.join(' then ');
  }

  /** @param {any} route */
  function describeClosedAction(route) {
    const action = route?.closedAction ?? null;
    if (action === null) return route?.hours || route?.closedDates.length ? 'A standard closed message' : '–';
    if (action.type === 'voicemail') return `Voicemail: “${action.greeting}”`;
    return action.type === 'message' ? `Says “${action.text}”` : `Forwards to ${phone(action.number)}`;
  }

  /** @param {any} route */
  function describeRecording(route) {
    const parts = [];
    if (route?.record) parts.push(route.record.notice ? `Recorded after “${route.record.notice}”` : 'Recorded after the standard notice');
    if (route?.voicemail && route.closedAction === null) parts.push('voicemail when nobody answers');
    if (route?.transcription) parts.push(`transcribed (${route.transcription.language})`);
    return parts.length ? parts.join('; ') : 'Off';
  }

  async function loadNumbers() {
    try {
      const [{ numbers }, blockList] = await Promise.all([getJson('/api/numbers'), getJson('/api/block-list')]);
      const table = /** @type {HTMLTableElement} */ (document.getElementById('numbers-table'));
      /** @type {HTMLElement} */ (table.tBodies[0]).replaceChildren(...numbers.map((/** @type {any} */ entry) => el('tr', { attrs: { 'data-number': entry.number } }, [
        el('td', { className: 'cell-number', text: phone(entry.number) }),
        el('td', { text: campaignName(entry.campaign) }),
        el('td', { className: 'cell-hours', text: describeHours(entry.route) }),
        el('td', { className: 'cell-rings', text: describeRinging(entry) }),
        el('td', { className: 'cell-closed', text: describeClosedAction(entry.route) }),
        el('td', { className: 'cell-blocks', text: entry.route ? describeBlocks(entry.route.blockList) || '–' : '–' }),
        el('td', { className: 'cell-recording', text: describeRecording(entry.route) }),
      ])));
      const everywhere = describeBlocks(blockList);
      /** @type {HTMLElement} */ (document.getElementById('block-list-note')).textContent = everywhere ? `Blocked on every number: ${everywhere}.` : '';
      setPanelState('numbers-panel', numbers.length > 0 ? 'ready' : 'empty', 'No tracking numbers configured: every call goes to the default phone.');
    } catch (error) {
      setPanelState('numbers-panel', 'failed', `Could not load the numbers. ${error instanceof Error ? error.message : ''}`);
    }
  }

  // Outgoing webhooks: each subscription with a summary of its latest deliveries, their log (each
  // one can be sent again, with its event id), and a button that sends it a test event

  const DELIVERY_LOG_LENGTH = 20;

  /** @param {any[]} deliveries */
  function describeDeliveries(deliveries) {
    if (deliveries.length === 0) return 'None yet';
    /** @type {Record<string, number>} */
    const byStatus = {};
    for (const delivery of deliveries) byStatus[delivery.status] = (byStatus[delivery.status] ?? 0) + 1;
    return ['delivered', 'pending', 'failed'].filter((status) => byStatus[status]).map((status) => `${byStatus[status]} ${status}`).join(', ');
  }

  /** @param {any[]} deliveries */
  function lastProblem(deliveries) {
    const failing = deliveries.find((delivery) => delivery.status !== 'delivered' && delivery.lastError);
    return failing ? `${failing.lastError} (${failing.attempts} ${failing.attempts === 1 ? 'attempt' : 'attempts'})` : '–';
  }

  /**
   * Posts to a subscription's action and says on the button whether it was queued.
   * @param {string} path @param {HTMLButtonElement} button @param {string} queued
   */
  async function queueDelivery(path, button, queued) {
    button.disabled = true;
    try {
      const res = await fetch(apiUrl(path), { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrfToken } });
      await res.text();
      button.textContent = res.ok ? queued : 'Could not queue';
    } catch {
      button.textContent = 'Could not queue';
    }
    setTimeout(() => void loadWebhooks(), 1500);
  }

  /** @param {string} id @param {HTMLButtonElement} button */
  const sendTestEvent = (id, button) => queueDelivery(`/api/webhooks/${encodeURIComponent(id)}/test`, button, 'Test event queued');

  /** One line per delivery, newest first; a delivery not waiting for its next attempt can be sent again. @param {string} id @param {any[]} deliveries */
  function deliveryLog(id, deliveries) {
    return el('details', { className: 'delivery-log' }, [
      el('summary', { text: 'Log' }),
      el('ol', {}, deliveries.map((/** @type {any} */ delivery) => {
        const outcome = delivery.lastError ?? (delivery.lastStatusCode === null ? '' : `HTTP ${delivery.lastStatusCode}`);
        const attempts = `${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}`;
        const item = el('li', { attrs: { 'data-event': delivery.eventId } }, [
          el('span', { text: [callTime.format(new Date(delivery.createdAt)), delivery.type, delivery.status, attempts, outcome].filter(Boolean).join(' · ') }),
        ]);
        if (delivery.status !== 'pending') {
          const button = el('button', { className: 'button button-small', text: 'Send again', attrs: { type: 'button' } });
          const path = `/api/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(delivery.eventId)}/redeliver`;
          button.addEventListener('click', () => void queueDelivery(path, /** @type {HTMLButtonElement} */ (button), 'Queued again'));
          item.append(' ', button);
        }
        return item;
      })),
    ]);
  }

  async function loadWebhooks() {
    try {
      const { subscriptions } = await getJson('/api/webhooks');
      const logs = await Promise.all(subscriptions.map((/** @type {any} */ s) => getJson(`/api/webhooks/${encodeURIComponent(s.id)}/deliveries?limit=${DELIVERY_LOG_LENGTH}`)));
      const table = /** @type {HTMLTableElement} */ (document.getElementById('webhooks-table'));
      /** @type {HTMLElement} */ (table.tBodies[0]).replaceChildren(...subscriptions.map((/** @type {any} */ subscription, /** @type {number} */ i) => {
        const button = el('button', { className: 'button', text: 'Send test event', attrs: { type: 'button' } });
        button.addEventListener('click', () => void sendTestEvent(subscription.id, /** @type {HTMLButtonElement} */ (button)));
        return el('tr', { attrs: { 'data-subscription': subscription.id } }, [
          el('td', { className: 'cell-url', text: subscription.url }),
          el('td', { text: subscription.eventTypes.join(', ') }),
          el('td', { text: subscription.enabled ? 'Enabled' : 'Disabled' }),
          el('td', { className: 'cell-deliveries' }, logs[i].deliveries.length === 0
            ? [describeDeliveries(logs[i].deliveries)]
            : [describeDeliveries(logs[i].deliveries), deliveryLog(subscription.id, logs[i].deliveries)]),
          el('td', { className: 'cell-problem', text: lastProblem(logs[i].deliveries) }),
          el('td', {}, [button]),
        ]);
      }));
      setPanelState('webhooks-panel', subscriptions.length > 0 ? 'ready' : 'empty', 'No webhook subscriptions: add one with POST /api/webhooks.');
    } catch (error) {
      setPanelState('webhooks-panel', 'failed', `Could not load the webhooks. ${error instanceof Error ? error.message : ''}`);
    }
  }

  // Range picker

  function showRange() {
    const query = apiQuery();
    /** @type {HTMLAnchorElement} */ (document.getElementById('report-csv')).href = `/api/report.csv?${query}`;
    /** @type {HTMLAnchorElement} */ (document.getElementById('calls-csv')).href = `/api/calls.csv?${query}`;
    const from = new Date(`${range.from}T00:00:00Z`);
    const to = new Date(`${range.to}T00:00:00Z`);
    const label = range.from === range.to ? rangeDay.format(from) : `${rangeDay.format(from)} – ${rangeDay.format(to)}`;
    /** @type {HTMLElement} */ (document.getElementById('range-label')).textContent =
      `${range.preset ? `Last ${range.preset} days · ` : ''}${label} · ${timezone}`;
    fromInput.value = range.from;
    toInput.value = range.to;
    for (const button of form.querySelectorAll('button[name="days"]')) {
      button.setAttribute('aria-pressed', String(Number(/** @type {HTMLButtonElement} */ (button).value) === range.preset));
    }
    main.dataset.from = range.from;
    main.dataset.to = range.to;
  }

  function pageUrl() {
    const params = range.preset ? new URLSearchParams({ days: String(range.preset) }) : new URLSearchParams({ from: range.from, to: range.to });
    return `${location.pathname}?${params}`;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const submitter = /** @type {SubmitEvent} */ (event).submitter;
    rangeError.hidden = true;
    if (submitter instanceof HTMLButtonElement && submitter.name === 'days') {
      range = presetRange(Number(submitter.value));
    } else {
      const from = fromInput.value;
      const to = toInput.value || today;
      let problem = '';
      if (!isDay(from) || !isDay(to)) problem = 'Pick both dates.';
      else if (from > to) problem = '“From” must not be after “To”.';
      else if (daysBetween(from, to) > MAX_RANGE_DAYS) problem = `Pick at most ${MAX_RANGE_DAYS} days.`;
      if (problem) {
        rangeError.textContent = problem;
        rangeError.hidden = false;
        return;
      }
      range = { preset: presetOf(from, to), from, to };
    }
    history.pushState(null, '', pageUrl());
    void load();
  });

  window.addEventListener('popstate', () => {
    range = rangeFromLocation();
    void load();
  });

  /** @type {HTMLElement} */ (document.getElementById('retry')).addEventListener('click', () => void load());

  if (window.Chart) chartDefaults();
  void load();
  void loadNumbers();
  // Only owners get the panel (the API would refuse the others).
  if (document.getElementById('webhooks-panel')) void loadWebhooks();
})();
