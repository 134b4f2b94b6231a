// The admin API for outgoing webhooks: subscriptions (the secret shown once, at creation), each
// one's delivery log, a test event, and manual redelivery. Mounted behind requireSignIn; owners only.

import express, { Router } from 'express';
import { z } from 'zod';
import { HttpError, badRequest } from '../http-error.js';
import { recordAdminChange } from '../audit.js';
import type { CallStore } from '../../store/call-store.js';
import type { WebhookDelivery, WebhookSubscription } from '../../store/webhook-records.js';
import type { DeliveryWorker } from '../../webhooks/delivery-worker.js';
import { newSubscription, subscriptionToJson } from '../../webhooks/subscriptions.js';
import { assertAllowedTarget, TargetRefused, type ResolveHost } from '../../webhooks/target-address.js';
import { outboxEvent, WEBHOOK_EVENT_TYPES } from '../../webhooks/webhook-events.js';
import { describeIssue } from './route-body.js';
import { requirePermission } from '../../security/admin-auth.js';

const DEFAULT_LOG_LENGTH = 50;
const MAX_LOG_LENGTH = 500;

const subscriptionSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an http or https URL' }).max(2000),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1, 'must name at least one event type').max(WEBHOOK_EVENT_TYPES.length),
  enabled: z.boolean().optional(),
});
/** A change names only what it changes; the rest stays. */
const subscriptionChangeSchema = subscriptionSchema.partial();

export interface WebhookApiDeps {
  store: CallStore;
  worker: DeliveryWorker;
  resolveHost: ResolveHost;
  allowPrivate: boolean;
}

function deliveryToJson(delivery: WebhookDelivery) {
  return {
    eventId: delivery.eventId,
    type: delivery.type,
    callUuid: delivery.callUuid,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
  };
}

export function webhookApiRoutes({ store, worker, resolveHost, allowPrivate }: WebhookApiDeps): Router {
  const router = Router();
  router.use('/api/webhooks', requirePermission('account'));
  const json = express.json({ limit: '16kb' });

  function parseFields<Fields>(schema: z.ZodType<Fields>, body: unknown): Fields {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('send a JSON object such as {"url": "https://crm.example.com/hooks/calls", "eventTypes": ["call.completed"]}');
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw badRequest(describeIssue(parsed.error));
    return parsed.data;
  }

  async function assertTarget(url: string): Promise<void> {
    try {
      await assertAllowedTarget(new URL(url), resolveHost, allowPrivate);
    } catch (error) {
      if (error instanceof TargetRefused) {
        const hint = error.notPublic ? ' (set WEBHOOK_ALLOW_PRIVATE=true for receivers on a private network)' : '';
        throw badRequest(`"url" is refused: ${error.message}${hint}`);
      }
      throw error;
    }
  }

  async function findSubscription(id: string): Promise<WebhookSubscription> {
    const subscription = (await store.listWebhookSubscriptions()).find((s) => s.id === id);
    if (!subscription) throw new HttpError('not_found', `${id} is not a webhook subscription`);
    return subscription;
  }

  router.get('/api/webhooks', async (_req, res) => {
    res.json({ subscriptions: (await store.listWebhookSubscriptions()).map(subscriptionToJson), eventTypes: WEBHOOK_EVENT_TYPES });
  });

  router.post('/api/webhooks', json, async (req, res) => {
    if (!req.is('application/json')) throw new HttpError('unsupported_media_type', 'send the subscription as application/json');
    const fields = parseFields(subscriptionSchema, req.body);
    await assertTarget(fields.url);
    const subscription = { ...newSubscription(fields.url, fields.eventTypes), enabled: fields.enabled ?? true };
    await store.saveWebhookSubscription(subscription);
    await recordAdminChange(store, res, 'webhook.created', subscription.id, { url: subscription.url, eventTypes: subscription.eventTypes });
    // The only time the secret is shown: receivers need it to verify signatures.
    res.status(201).json({ ...subscriptionToJson(subscription), secret: subscription.secret });
  });

  router.put('/api/webhooks/:id', json, async (req, res) => {
    if (!req.is('application/json')) throw new HttpError('unsupported_media_type', 'send the subscription as application/json');
    const existing = await findSubscription(String(req.params.id));
    const fields = parseFields(subscriptionChangeSchema, req.body);
    if (fields.url !== undefined) await assertTarget(fields.url);
    const subscription = {
      ...existing, url: fields.url ?? existing.url, eventTypes: fields.eventTypes ?? existing.eventTypes, enabled: fields.enabled ?? existing.enabled,
    };
    await store.saveWebhookSubscription(subscription);
    await recordAdminChange(store, res, 'webhook.updated', subscription.id, {
      url: subscription.url, eventTypes: subscription.eventTypes, enabled: subscription.enabled,
    });
    res.json(subscriptionToJson(subscription));
  });

  router.delete('/api/webhooks/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!(await store.deleteWebhookSubscription(id))) throw new HttpError('not_found', `${id} is not a webhook subscription`);
    await recordAdminChange(store, res, 'webhook.deleted', id);
    res.status(204).end();
  });

  router.get('/api/webhooks/:id/deliveries', async (req, res) => {
    const subscription = await findSubscription(String(req.params.id));
    const raw = typeof req.query.limit === 'string' ? req.query.limit : undefined;
    const limit = raw === undefined ? DEFAULT_LOG_LENGTH : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LENGTH) throw badRequest(`"limit" must be a whole number from 1 to ${MAX_LOG_LENGTH}`);
    const deliveries = await store.listWebhookDeliveries(subscription.id, limit);
    res.json({ subscription: subscriptionToJson(subscription), deliveries: deliveries.map(deliveryToJson) });
  });

  router.post('/api/webhooks/:id/test', async (req, res) => {
    const subscription = await findSubscription(String(req.params.id));
    const event = outboxEvent('webhook.test', { message: 'A test event from call-tracker' }, null);
    await store.enqueueWebhookEvent(event, subscription.id);
    void worker.poll();
    res.status(202).json({ eventId: event.id });
  });

  router.post('/api/webhooks/:id/deliveries/:eventId/redeliver', async (req, res) => {
    const subscription = await findSubscription(String(req.params.id));
    const eventId = String(req.params.eventId);
    if (!(await store.redeliverWebhook(eventId, subscription.id, new Date()))) {
      throw new HttpError('not_found', `${eventId} was never sent to ${subscription.id}`);
    }
    void worker.poll();
    res.status(202).json({ eventId });
  });

  return router;
}
