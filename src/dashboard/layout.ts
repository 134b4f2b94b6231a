// The frame every dashboard page shares: head, the navigation (only the pages the role may use),
// who is signed in, and sign-out. A page brings its title, its main content and its script; the
// session's CSRF token rides in a meta tag for public/common.js to send with every change.

import { can, type Permission } from '../domain/team.js';
import type { Principal } from '../security/admin-auth.js';
import { renderDocumentHead } from './document-head.js';
import { escapeHtml } from './html.js';

/** The dashboard's pages, in navigation order, each with the permission it needs. */
export const DASHBOARD_PAGES = [
  { path: '/dashboard', label: 'Overview', permission: 'reports' },
  { path: '/dashboard/calls', label: 'Calls', permission: 'reports' },
  { path: '/dashboard/missed', label: 'Missed calls', permission: 'reports' },
  { path: '/dashboard/numbers', label: 'Numbers', permission: 'reports' },
  { path: '/dashboard/team', label: 'Team', permission: 'team' },
  { path: '/dashboard/account', label: 'My tokens', permission: 'reports' },
] as const satisfies readonly { path: string; label: string; permission: Permission }[];

export type DashboardPath = (typeof DASHBOARD_PAGES)[number]['path'];

/** The navigation bar with the signed-in person and sign-out, for the masthead of every page. */
export function renderNav(principal: Principal, current: DashboardPath): string {
  const links = DASHBOARD_PAGES.filter((page) => can(principal.role, page.permission)).map((page) =>
    `<li><a href="${page.path}"${page.path === current ? ' aria-current="page"' : ''}>${page.label}</a></li>`).join('');
  const who = principal.user ? escapeHtml(principal.user.username) : 'ADMIN_TOKEN';
  const signOut = principal.user
    ? `<form method="post" action="/logout" class="sign-out"><button type="submit" class="button button-plain">Sign out</button></form>`
    : '';
  return `<nav class="site-nav" aria-label="Dashboard pages">
      <ul>${links}</ul>
      <p class="who"><span class="who-name">${who}</span> <span class="role-badge" data-role="${principal.role}">${principal.role}</span></p>
      ${signOut}
    </nav>`;
}

export interface LayoutPage {
  title: string;
  path: DashboardPath;
  principal: Principal;
  /** The page's own script under /dashboard/assets/; none for a page that only says something. */
  script: string | null;
  /** data-* attributes for the main element (already escaped by this function). */
  data?: Record<string, string | number>;
  main: string;
}

export function renderLayout(page: LayoutPage): string {
  const { principal } = page;
  const data = Object.entries(page.data ?? {}).map(([key, value]) => ` data-${key}="${escapeHtml(value)}"`).join('');
  return `${renderDocumentHead({
    title: page.title, assets: '/dashboard/assets', csrfToken: principal.csrfToken ?? '',
    scripts: page.script === null ? [] : ['libphonenumber-min.js', 'common.js', page.script],
  })}
<body>
  <header class="masthead">
    <div class="masthead-inner">
      <div class="masthead-title"><h1>${escapeHtml(page.title)}</h1></div>
      ${renderNav(principal, page.path)}
    </div>
  </header>
  <main class="page" id="page" data-role="${principal.role}" data-can-see-callers="${can(principal.role, 'callers')}"
        data-can-edit-numbers="${can(principal.role, 'numbers')}"${data}>
    <p class="banner" id="page-error" role="alert" hidden></p>
    ${page.main}
  </main>
</body>
</html>
`;
}
