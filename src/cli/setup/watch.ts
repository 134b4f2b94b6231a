// `setup --watch`: a free ngrok address changes whenever the agent restarts. Polls the agent and
// points the application at each new address, until SIGINT (the AbortSignal) stops it.

import { setTimeout as sleep } from 'node:timers/promises';
import type { SetupConfig } from '../../setup-config.js';
import { webhookDifferences, withOurWebhooks } from './application-webhooks.js';
import { findNgrokAddress } from './public-address.js';
import { SetupError } from './setup-error.js';
import type { VonageApi } from './vonage-api.js';

export interface WatchOptions {
  applicationId: string;
  /** The address the application was just pointed at. */
  publicAddress: string;
  intervalMs: number;
  signal: AbortSignal;
}

export async function watchNgrok(config: Readonly<SetupConfig>, api: VonageApi, options: WatchOptions, print: (line: string) => void): Promise<void> {
  let pointedAt = options.publicAddress;
  let waitingFor: string | null = null;
  print(`watching ${config.ngrokApiUrl} every ${options.intervalMs / 1000} s; Ctrl-C stops`);
  while (!options.signal.aborted) {
    try {
      await sleep(options.intervalMs, undefined, { signal: options.signal });
    } catch {
      break; // aborted
    }
    try {
      const address = await findNgrokAddress(config.ngrokApiUrl);
      waitingFor = null;
      if (address === pointedAt) continue;
      const target = { publicAddress: address, signed: config.signatureSecret !== null };
      const application = { ...(await api.getApplication(options.applicationId)), id: options.applicationId };
      if (webhookDifferences(application, target).length > 0) await api.updateApplication(withOurWebhooks(application, target));
      pointedAt = address;
      print(`ngrok address is now ${address}: application ${options.applicationId} points at it`);
    } catch (error) {
      // ngrok restarting or the network away for a moment: say so once, and keep watching.
      if (!(error instanceof SetupError) || !error.transient) throw error;
      if (waitingFor !== error.message) print(`waiting: ${error.message}`);
      waitingFor = error.message;
    }
  }
  print('stopped watching');
}
