// The account page: the signed-in user's personal API tokens, each shown once when made.

export function renderAccountMain(): string {
  return `
    <section class="panel" aria-labelledby="tokens-title">
      <header class="panel-head"><h2 id="tokens-title">Personal API tokens</h2>
        <p class="panel-hint">For scripts: Authorization: Bearer &lt;token&gt;, with your role's rights</p></header>
      <div class="table-scroll" tabindex="0" aria-labelledby="tokens-title">
        <table class="data-table" id="tokens-list">
          <thead><tr><th scope="col">Label</th><th scope="col">Made</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="panel-state" id="tokens-state" role="status"></p>
      <form id="token-form" class="grid-form" novalidate>
        <div class="form-field"><label for="field-label">Label</label>
          <input id="field-label" name="label" aria-describedby="error-label">
          <p class="field-error" id="error-label" role="status"></p></div>
        <p class="form-error" id="form-error" role="alert" hidden></p>
        <div class="form-actions"><button type="submit" class="button">Make a token</button></div>
      </form>
      <div class="new-token" id="new-token" hidden>
        <p><strong>Copy it now: it is not shown again.</strong></p>
        <p><code id="new-token-value"></code></p>
      </div>
    </section>`;
}
