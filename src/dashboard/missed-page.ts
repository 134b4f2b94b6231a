// The missed-calls page: missed calls nobody has answered since, to call back; the full number and
// a tel: link only for roles that may see callers.

export function renderMissedMain(): string {
  return `
    <section class="panel" aria-labelledby="missed-title">
      <header class="panel-head">
        <h2 id="missed-title">Missed calls to return</h2>
        <p class="panel-hint">Last 30 days; a caller drops off once one of their calls is answered</p>
      </header>
      <div class="table-scroll" tabindex="0" aria-labelledby="missed-title">
        <table class="data-table" id="missed-list">
          <thead><tr>
            <th scope="col">Missed at</th><th scope="col">Caller</th><th scope="col">Campaign</th><th scope="col">Tracking number</th>
            <th scope="col">Called back</th>
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="panel-state" id="missed-state" role="status"></p>
    </section>`;
}
