// Where Vonage reaches this server: PUBLIC_URL when it is set, else the https tunnel of the ngrok
// agent running on this machine (its local API lists the tunnels).

import { z } from 'zod';
import { SetupError } from './setup-error.js';

const NGROK_TIMEOUT_MS = 3000;

const tunnelList = z.object({
  tunnels: z.array(z.object({ public_url: z.string(), proto: z.string().optional() })),
});

/** The https address of the ngrok agent whose local API is at `apiUrl` (a loopback URL, checked by the config). */
export async function findNgrokAddress(apiUrl: string): Promise<string> {
  let body: unknown;
  try {
    const res = await fetch(apiUrl, { signal: AbortSignal.timeout(NGROK_TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!res.ok) throw new SetupError(`the ngrok agent's API at ${apiUrl} answered ${res.status}`, { transient: true });
    body = await res.json();
  } catch (error) {
    if (error instanceof SetupError) throw error;
    throw new SetupError(`no ngrok agent answers at ${apiUrl}: start one (\`ngrok http 5000\`) or set PUBLIC_URL`, { transient: true });
  }
  const parsed = tunnelList.safeParse(body);
  if (!parsed.success) throw new SetupError(`the ngrok agent's API at ${apiUrl} answered something that is not a list of tunnels`);
  const https = parsed.data.tunnels.find((tunnel) => tunnel.public_url.startsWith('https://'));
  if (!https) throw new SetupError(`the ngrok agent at ${apiUrl} has no https tunnel: start one with \`ngrok http 5000\``, { transient: true });
  return https.public_url.replace(/\/+$/, '');
}

export interface PublicAddressSource {
  publicUrl: string | null;
  ngrokApiUrl: string;
}

/** PUBLIC_URL, or the ngrok tunnel's address. */
export async function findPublicAddress(source: PublicAddressSource): Promise<string> {
  return source.publicUrl ?? findNgrokAddress(source.ngrokApiUrl);
}
