// What this server needs of a Vonage application: its answer and event webhooks on our routes,
// both POST (a signed webhook's payload_hash covers a body only), and signed callbacks when the
// server verifies signatures. Everything else the application has is left as it is.

import type { Application } from '@vonage/applications';

/** The routes Vonage calls (src/http/routes/webhooks.ts). */
export const ANSWER_PATH = '/track-call';
export const EVENT_PATH = '/event';
const WEBHOOK_METHOD = 'POST';

export interface WebhookTarget {
  publicAddress: string;
  /** True when VONAGE_SIGNATURE_SECRET is set: the server refuses unsigned webhooks then. */
  signed: boolean;
}

export const answerUrlOf = (publicAddress: string) => `${publicAddress}${ANSWER_PATH}`;
export const eventUrlOf = (publicAddress: string) => `${publicAddress}${EVENT_PATH}`;

/** One line for each way the application differs from what the server needs; empty when none. */
export function webhookDifferences(application: Application, target: WebhookTarget): string[] {
  const voice = application.capabilities?.voice;
  if (!voice) return ['Voice is not enabled'];
  const differences: string[] = [];
  const check = (label: string, webhook: { address?: string; httpMethod?: string } | undefined, address: string) => {
    if (webhook?.address !== address) differences.push(`${label} is ${webhook?.address ?? 'not set'}, not ${address}`);
    else if (webhook.httpMethod !== WEBHOOK_METHOD) differences.push(`${label} uses ${webhook.httpMethod ?? 'no method'}, not ${WEBHOOK_METHOD}`);
  };
  check('the answer URL', voice.webhooks?.answerUrl, answerUrlOf(target.publicAddress));
  check('the event URL', voice.webhooks?.eventUrl, eventUrlOf(target.publicAddress));
  if (target.signed && voice.signedCallbacks !== true) differences.push('signed callbacks are off while VONAGE_SIGNATURE_SECRET is set');
  return differences;
}

/**
 * The application with our webhooks set and nothing else changed: Vonage's update replaces the
 * whole application, so the update must carry every other field as it was read.
 */
export function withOurWebhooks<T extends Application>(application: T, target: WebhookTarget): T {
  const voice = application.capabilities.voice ?? {};
  const webhooks = voice.webhooks ?? {};
  return {
    ...application,
    capabilities: {
      ...application.capabilities,
      voice: {
        ...voice,
        webhooks: {
          ...webhooks,
          answerUrl: { ...webhooks.answerUrl, address: answerUrlOf(target.publicAddress), httpMethod: WEBHOOK_METHOD },
          eventUrl: { ...webhooks.eventUrl, address: eventUrlOf(target.publicAddress), httpMethod: WEBHOOK_METHOD },
        },
        ...(target.signed ? { signedCallbacks: true } : {}),
      },
    },
  };
}

/** A new application with Voice enabled and our webhooks. */
export function newApplication(name: string, target: WebhookTarget): Application {
  return withOurWebhooks({ name, capabilities: { voice: {} } }, target);
}
