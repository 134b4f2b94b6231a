// The only hosts that ever receive the Bearer JWT signed with the application's private key:
// Vonage's own, over https. A recording URL comes from a webhook, so a forged or replayed one
// must not turn the server into a proxy that hands our key-signed token to someone else.

/** api.nexmo.com and the regional hosts under nexmo.com and vonage.com. */
const VONAGE_HOST = /^(?:[a-z0-9-]+\.)+(?:nexmo|vonage)\.com$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

export interface MediaHostPolicy {
  /** Test-only (RECORDINGS_TEST_ALLOW_LOOPBACK): a loopback host over http(s) is allowed too. */
  allowLoopback: boolean;
}

/** The URL when the JWT may be sent to it, else null. */
export function allowedMediaUrl(raw: string, policy: MediaHostPolicy): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '') return null;
  if (policy.allowLoopback && LOOPBACK_HOSTS.has(url.hostname) && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
  // No port but the default: a non-standard one is some other service on a Vonage name.
  if (url.protocol !== 'https:' || url.port !== '') return null;
  return VONAGE_HOST.test(url.hostname) ? url : null;
}

/** The host part only, for logs: never the path (it names the file) nor a query. */
export function hostForLog(raw: string): string {
  try {
    return new URL(raw).host.slice(0, 100);
  } catch {
    return '(not a URL)';
  }
}
