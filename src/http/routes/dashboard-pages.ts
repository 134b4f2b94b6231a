// The dashboard's pages beyond the overview (calls, missed calls, numbers, team, account): each a
// frame from layout.ts that its script fills from the API. Mounted behind requireSignIn; the API
// refuses what a role may not do, the pages only leave it out.

import { Router } from 'express';
import type { Config } from '../../config.js';
import { renderAccountMain } from '../../dashboard/account-page.js';
import { renderCallsMain } from '../../dashboard/calls-page.js';
import { renderLayout, type LayoutPage } from '../../dashboard/layout.js';
import { renderMissedMain } from '../../dashboard/missed-page.js';
import { renderNumbersMain } from '../../dashboard/numbers-page.js';
import { renderTeamMain } from '../../dashboard/team-page.js';
import { can } from '../../domain/team.js';
import { principalOf, type Principal } from '../../security/admin-auth.js';
import { escapeHtml } from '../../dashboard/html.js';
import { HttpError } from '../http-error.js';

type PageSpec = Omit<LayoutPage, 'principal' | 'data'>;

export function dashboardPageRoutes(config: Readonly<Config>): Router {
  const router = Router();
  const pages: Record<string, (principal: Principal) => PageSpec> = {
    '/dashboard/calls': (p) => ({ title: 'Calls', path: '/dashboard/calls', script: 'calls.js', main: renderCallsMain(can(p.role, 'callers')) }),
    '/dashboard/missed': () => ({ title: 'Missed calls', path: '/dashboard/missed', script: 'missed.js', main: renderMissedMain() }),
    '/dashboard/numbers': (p) => ({ title: 'Numbers', path: '/dashboard/numbers', script: 'numbers.js', main: renderNumbersMain(can(p.role, 'numbers')) }),
    '/dashboard/account': () => ({ title: 'My tokens', path: '/dashboard/account', script: 'account.js', main: renderAccountMain() }),
  };
  for (const [path, spec] of Object.entries(pages)) {
    router.get(path, (_req, res) => {
      const principal = principalOf(res);
      res.type('html').send(renderLayout({ ...spec(principal), principal, data: { 'time-zone': config.timeZone } }));
    });
  }
  router.get('/dashboard/team', (_req, res) => {
    const principal = principalOf(res);
    if (!can(principal.role, 'team')) {
      // The API's refusal, as a page with the navigation a person can go on from.
      const main = `<section class="panel"><h2>Not for your role</h2><p>The ${escapeHtml(principal.role)} role may not open this page: an owner manages the team.</p></section>`;
      throw new HttpError('forbidden', `the ${principal.role} role may not do this`, renderLayout({ title: 'Team', path: '/dashboard/team', script: null, main, principal }));
    }
    res.type('html').send(renderLayout({ title: 'Team', path: '/dashboard/team', script: 'team.js', main: renderTeamMain(), principal }));
  });
  return router;
}
