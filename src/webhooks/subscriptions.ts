// Subscriptions as the admin API makes them: a checked target URL, the event types, and a
// `whsec_` secret generated here and shown once.

import { randomBytes, randomUUID } from 'node:crypto';
import type { WebhookSubscription } from '../store/webhook-records.js';
import type { WebhookEventType } from './webhook-events.js';

/** Standard Webhooks: `whsec_` and base64 of 24 to 64 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function newSubscription(url: string, eventTypes: WebhookEventType[], now = new Date()): WebhookSubscription {
  return { id: `sub_${randomUUID().replaceAll('-', '')}`, url, eventTypes, secret: newWebhookSecret(), enabled: true, createdAt: now };
}

/** A subscription as the API shows it after creation: never its secret. */
export function subscriptionToJson(subscription: WebhookSubscription) {
  return {
    id: subscription.id,
    url: subscription.url,
    eventTypes: subscription.eventTypes,
    enabled: subscription.enabled,
    createdAt: subscription.createdAt.toISOString(),
  };
}
