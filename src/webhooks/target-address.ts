// Server-side request forgery guard for webhook targets: only public unicast addresses are
// reached, unless WEBHOOK_ALLOW_PRIVATE is set. Checked when a subscription is saved (a clear
// 400) and again at every connection through `guardedLookup`, which hands the socket only the
// addresses it checked, so a name that resolves elsewhere later (DNS rebinding) cannot slip by.

import { lookup as systemLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to all its addresses, as dns.lookup with `all: true` does. */
export type ResolveHost = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export const systemResolve: ResolveHost = (hostname, options, callback) => systemLookup(hostname, options, callback);

/** Deprecated IPv4-compatible IPv6 (RFC 4291): ipaddr.js calls it unicast, yet `::127.0.0.1` is in it. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Public unicast only: ipaddr.js names every other range (loopback, private, link-local,
 * carrier-grade NAT, multicast, unspecified, reserved, unique local, …). IPv4-mapped IPv6 is
 * judged as the IPv4 address it carries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return false;
  return parsed.range() === 'unicast';
}

export class TargetRefused extends Error {
  override name = 'TargetRefused';

  /** True when the address is private or local, which WEBHOOK_ALLOW_PRIVATE would let through. */
  constructor(message: string, readonly notPublic = false) {
    super(message);
  }
}

/** URL host without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The host's addresses, all of which must be public; throws TargetRefused naming the first that is not. */
export function resolvePublic(hostname: string, resolve: ResolveHost, allowPrivate: boolean): Promise<LookupAddress[]> {
  return new Promise((done, fail) => {
    resolve(hostname, { all: true }, (error, addresses) => {
      if (error) return fail(new TargetRefused(`${hostname} does not resolve (${error.code ?? error.message})`));
      if (addresses.length === 0) return fail(new TargetRefused(`${hostname} does not resolve`));
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) return fail(new TargetRefused(`${hostname} resolves to ${refused.address}, which is not a public address`, true));
      done(addresses);
    });
  });
}

/** Throws TargetRefused unless the URL is http(s) to a host whose every address is allowed. */
export async function assertAllowedTarget(url: URL, resolve: ResolveHost, allowPrivate: boolean): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('only http and https URLs are allowed');
  const host = hostOf(url);
  if (ipaddr.isValid(host)) {
    if (!allowPrivate && !isPublicAddress(host)) throw new TargetRefused(`${host} is not a public address`, true);
    return;
  }
  await resolvePublic(host, resolve, allowPrivate);
}

/** A `lookup` for http.request: resolves, checks every address, and connects only to checked ones. */
export function guardedLookup(resolve: ResolveHost, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolvePublic(hostname, resolve, allowPrivate).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
