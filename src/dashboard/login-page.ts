// The login page: username and password, posted as a plain form (it works without script).

import { renderDocumentHead } from './document-head.js';
import { escapeHtml } from './html.js';

export interface LoginPage {
  /** Where to go once signed in (a dashboard path). */
  next: string;
  /** Why the last attempt was refused: a wrong username or password, or too many failures from this address. */
  refused: 'wrong' | 'limited' | null;
}

const REFUSALS = {
  wrong: 'Wrong username or password.',
  limited: 'Too many failed sign-ins from this address: wait a few minutes, then try again.',
} as const;

export function renderLoginPage({ next, refused }: LoginPage): string {
  const failed = refused !== null;
  return `${renderDocumentHead({ title: 'Sign in', assets: '/login/assets' })}
<body class="login-body">
  <main class="login-card">
    <h1>Sign in to call-tracker</h1>
    ${failed ? `<p class="form-error" role="alert" id="login-error">${REFUSALS[refused]}</p>` : ''}
    <form method="post" action="/login" class="stack-form">
      <input type="hidden" name="next" value="${escapeHtml(next)}">
      <label class="field-row" for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required autofocus${failed ? ' aria-describedby="login-error"' : ''}>
      <label class="field-row" for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit" class="button">Sign in</button>
    </form>
    <p class="muted login-alt">Owner with the server's ADMIN_TOKEN? <a href="/dashboard?auth=basic">Use the browser's password prompt</a> (any username, the token as password).</p>
  </main>
</body>
</html>
`;
}
