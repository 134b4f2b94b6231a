// The start of every server-rendered page, up to its <body>: one place for the meta tags
// (no referrer leaves with a caller's data in a URL), the icon and the shared stylesheets.

import { escapeHtml } from './html.js';

export interface DocumentHead {
  /** The page's own title; " · call-tracker" follows it. */
  title: string;
  /** Where the shared assets are served: /dashboard/assets, or /login/assets before signing in. */
  assets: string;
  /** The session's CSRF token, for pages whose scripts change things; absent on the login page. */
  csrfToken?: string;
  /** The page's scripts under `assets`, loaded deferred in this order. */
  scripts?: readonly string[];
}

export function renderDocumentHead({ title, assets, csrfToken, scripts = [] }: DocumentHead): string {
  const lines = [
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="color-scheme" content="light">',
    ...(csrfToken === undefined ? [] : [`<meta name="csrf-token" content="${escapeHtml(csrfToken)}">`]),
    `<title>${escapeHtml(title)} · call-tracker</title>`,
    `<link rel="icon" href="${assets}/icon.svg" type="image/svg+xml">`,
    `<link rel="stylesheet" href="${assets}/dashboard.css">`,
    `<link rel="stylesheet" href="${assets}/pages.css">`,
    ...scripts.map((script) => `<script src="${assets}/${escapeHtml(script)}" defer></script>`),
  ];
  return `<!doctype html>
<html lang="en">
<head>
  ${lines.join('\n  ')}
</head>`;
}
