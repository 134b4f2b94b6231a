// The admin API: calls as recorded, the tutorial's /tracked-calls view, and the tracking numbers
// with their campaigns, and the missed calls to return. Mounted behind requireSignIn: callers'
// numbers are masked for roles that may not see them, and changes need the numbers permission.

import express, { Router } from 'express';
import { z } from 'zod';
import { HttpError, badRequest } from '../http-error.js';
import type { NumberDirectory } from '../../domain/number-directory.js';
import { maskPhoneNumber, normalisePhoneNumber } from '../../domain/phone.js';
import type { CallStore } from '../../store/call-store.js';
import type { TrackingNumber } from '../../domain/tracking-numbers.js';
import { recordAdminChange } from '../audit.js';
import { callToJson, encodeCursor, callerFor } from './call-json.js';
import { mediaOfCallsFor } from './media-json.js';
import { principalOf, requirePermission } from '../../security/admin-auth.js';
import { can, type Role } from '../../domain/team.js';
import type { BlockList } from '../../domain/block-list.js';
import { resolveReportRange } from '../../domain/reports.js';
import { MAX_PAGE_SIZE, parseCallQuery, parseNumberParam } from './admin-query.js';
import { describeIssue, MAX_SPOKEN_LENGTH, parseBlockList, printable, routeSchema } from './route-body.js';
import { happenedBefore } from '../../domain/lifecycle.js';

/** A route with a long block list of its own is the largest body; a few thousand entries fit. */
const SETTINGS_BODY_LIMIT = '64kb';

const numberBodySchema = z.strictObject({
  campaign: printable(100).nullable().optional(),
  forwardTo: z.string().max(40).nullable().optional(),
  whisper: printable(MAX_SPOKEN_LENGTH).nullable().optional(),
  route: routeSchema.nullable().optional(),
});

const INTERNATIONAL_EXAMPLES = {
  number: ', with its country code, such as +44 20 7946 0001',
  forwardTo: ' such as +44 7700 900001',
};

/**
 * A number this API configures, in international form: where calls ring must be diallable (the
 * NCCO schema wants 10 to 15 digits), and a tracking number must be as Vonage sends `to`, with its
 * country code, or it would be stored and never match a call. Deleting a tracking number stays
 * lenient (parseNumberParam), so that an entry saved by an older version can still be removed.
 */
function parseInternationalNumber(field: 'number' | 'forwardTo', raw: string): string {
  const number = normalisePhoneNumber(raw);
  if (number === null) throw badRequest(`"${field}" must be a phone number in international form${INTERNATIONAL_EXAMPLES[field]}`);
  return number;
}

/**
 * A phone this number rings must not be the number itself: the call would come back to this
 * server as a new call, ring it again, and so on, each leg billed.
 */
function assertRingsElsewhere(entry: TrackingNumber): void {
  const itself = (field: string) => badRequest(`"${field}" is the tracking number itself: the call would ring back into this server, again and again`);
  if (entry.forwardTo === entry.number) throw itself('forwardTo');
  entry.route?.destinations?.forEach((destination, i) => {
    if (destination.number === entry.number) throw itself(`route.destinations.${i}.number`);
  });
  const closedAction = entry.route?.closedAction;
  if (closedAction?.type === 'forward' && closedAction.number === entry.number) throw itself('route.closedAction.number');
}

function parseTrackingNumberBody(number: string, body: unknown): TrackingNumber {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('send a JSON object such as {"campaign": "Radio spot", "forwardTo": "+44 7700 900001", "whisper": "Radio call"}');
  }
  const parsed = numberBodySchema.safeParse(body);
  if (!parsed.success) throw badRequest(describeIssue(parsed.error));
  const fields = parsed.data;
  if (fields.forwardTo != null && fields.route?.destinations) {
    throw badRequest('"forwardTo" cannot be combined with "route.destinations": list every phone in route.destinations');
  }
  const entry: TrackingNumber = {
    number,
    campaign: fields.campaign ?? null,
    forwardTo: fields.forwardTo == null ? null : parseInternationalNumber('forwardTo', fields.forwardTo),
    whisper: fields.whisper ?? null,
    route: fields.route ?? null,
  };
  assertRingsElsewhere(entry);
  return entry;
}

/** A block list's numbers are callers' numbers: masked, as callers are, for roles that may not see callers. */
function blockListFor(role: Role, list: BlockList): BlockList {
  return can(role, 'callers') ? list : { ...list, numbers: list.numbers.map((number) => maskPhoneNumber(number)) };
}

function numberFor(role: Role, entry: TrackingNumber): TrackingNumber {
  return entry.route === null ? entry : { ...entry, route: { ...entry.route, blockList: blockListFor(role, entry.route.blockList) } };
}

/** `timezone`: the zone of bare dates in since/until when the request names none (`tz`). */
export function adminApiRoutes(store: CallStore, directory: NumberDirectory, timezone: string): Router {
  const router = Router();

  const editNumbers = requirePermission('numbers');
  const seeCallers = requirePermission('callers');

  router.get('/tracked-calls', async (req, res) => {
    const page = await store.listCalls(parseCallQuery(req.query, timezone));
    const caller = callerFor(principalOf(res).role);
    const byNumber: Record<string, { timestamp: string; from: string | null }[]> = {};
    for (const call of page.calls) {
      const key = call.trackingNumber ?? 'unknown';
      (byNumber[key] ??= []).push({ timestamp: call.startedAt.toISOString(), from: caller(call.caller) });
    }
    res.json(byNumber);
  });

  router.get('/api/calls', async (req, res) => {
    const { role } = principalOf(res);
    const query = parseCallQuery(req.query, timezone);
    // Searching by caller would tell a role that may not see callers who called.
    if (query.caller !== undefined && !can(role, 'callers')) throw new HttpError('forbidden', `the ${role} role may not search by caller`);
    const page = await store.listCalls(query);
    const media = await mediaOfCallsFor(role, store.media, page.calls);
    const caller = callerFor(role);
    res.json({
      calls: page.calls.map((call) => ({ ...callToJson(call, caller), ...media.get(call) })),
      nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null,
    });
  });

  router.get('/api/numbers', (_req, res) => {
    const { role } = principalOf(res);
    res.json({ numbers: directory.list().map((entry) => numberFor(role, entry)) });
  });

  router.get('/api/calls/to-return', async (req, res) => {
    const caller = callerFor(principalOf(res).role);
    const { since, until } = parseCallQuery(req.query, timezone);
    const calls = await store.team.listCallsToReturn(resolveReportRange(since, until, new Date()), MAX_PAGE_SIZE);
    res.json({
      calls: calls.map(({ call, calledBack }) => ({
        ...callToJson(call, caller),
        calledBack: calledBack && { markedAt: calledBack.markedAt.toISOString(), markedBy: calledBack.markedBy },
      })),
    });
  });

  // After /api/calls/to-return (and /api/calls/live, mounted earlier), which it would swallow.
  router.get('/api/calls/:uuid', async (req, res) => {
    const uuid = String(req.params.uuid);
    if (!/^[\w.:-]{1,128}$/.test(uuid)) throw badRequest('not a call uuid');
    const call = await store.findCall(uuid);
    if (!call) throw new HttpError('not_found', `no call ${uuid}`);
    const { role } = principalOf(res);
    const [media, events] = await Promise.all([mediaOfCallsFor(role, store.media, [call]), store.findCallEvents(call)]);
    res.json({
      ...callToJson(call, callerFor(role)),
      ...media.get(call),
      // Every event of the call's legs as Vonage reported it, in the order it happened.
      events: events.sort(happenedBefore).map((event) => ({
        legUuid: event.legUuid, direction: event.direction, status: event.status, occurredAt: event.occurredAt.toISOString(),
        durationSeconds: event.durationSeconds, to: event.to ?? null,
      })),
    });
  });

  router.put('/api/calls/:uuid/called-back', seeCallers, async (req, res) => {
    const { user } = principalOf(res);
    const mark = { callUuid: String(req.params.uuid), markedAt: new Date(), markedBy: user?.username ?? null };
    if (!(await store.team.markCalledBack(mark))) throw new HttpError('not_found', 'no such call');
    res.json({ markedAt: mark.markedAt.toISOString(), markedBy: mark.markedBy });
  });

  router.delete('/api/calls/:uuid/called-back', seeCallers, async (req, res) => {
    await store.team.unmarkCalledBack(String(req.params.uuid));
    res.status(204).end();
  });

  router.put('/api/numbers/:number', editNumbers, express.json({ limit: SETTINGS_BODY_LIMIT }), async (req, res) => {
    if (!req.is('application/json')) throw new HttpError('unsupported_media_type', 'send the number as application/json');
    const number = parseInternationalNumber('number', String(req.params.number));
    const entry = parseTrackingNumberBody(number, req.body);
    const existed = directory.lookup(number) !== undefined;
    await directory.save(entry);
    // Not the route itself: its block list may hold callers' numbers, which erasure must reach.
    await recordAdminChange(store, res, 'number.saved', number, { campaign: entry.campaign, forwardTo: entry.forwardTo, routed: entry.route !== null });
    res.status(existed ? 200 : 201).json(entry);
  });

  router.delete('/api/numbers/:number', editNumbers, async (req, res) => {
    const number = parseNumberParam('number', String(req.params.number));
    if (!(await directory.delete(number))) throw new HttpError('not_found', `${number} is not a configured tracking number`);
    await recordAdminChange(store, res, 'number.deleted', number);
    res.status(204).end();
  });

  router.get('/api/block-list', (_req, res) => {
    res.json(blockListFor(principalOf(res).role, directory.blockList()));
  });

  router.put('/api/block-list', editNumbers, express.json({ limit: SETTINGS_BODY_LIMIT }), async (req, res) => {
    if (!req.is('application/json')) throw new HttpError('unsupported_media_type', 'send the block list as application/json');
    const list = parseBlockList(req.body);
    await directory.saveBlockList(list);
    // The list holds callers' numbers: the entry says how many, not which.
    await recordAdminChange(store, res, 'block-list.saved', null, { numbers: list.numbers.length, prefixes: list.prefixes.length, withheld: list.withheld });
    res.json(list);
  });

  return router;
}
