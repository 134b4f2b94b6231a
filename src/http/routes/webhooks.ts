// Vonage's webhooks: the answer webhook (GET by default, POST when the application says so), the
// event webhook, and the whisper fetched when an agent picks up. Thin: parse, hand over, answer.

import express, { type IRouter, type Request, type RequestHandler } from 'express';
import type { CallTracker } from '../../domain/call-tracker.js';
import { HttpError } from '../http-error.js';
import type { Ncco } from '../../domain/ncco.js';
import type { MediaIntake } from '../../durability/media-intake.js';
import type { MediaJob } from '../../domain/recordings.js';
import { parseRecordingKind, RECORDING_PATH, TRANSCRIPTION_PATH } from '../../domain/recording-urls.js';
import { parseAnswerPayload, parseEventPayload, parseOtherEvent, parseRecordingPayload, parseTranscriptionPayload } from '../webhook-payloads.js';
import { parseTrackingNumber } from '../../domain/phone.js';
import { parseRouteProgress } from '../../domain/route-progress.js';
import type { WebhookSignatures } from '../../security/webhook-signature.js';
import { MAC_PARAMETER } from '../../security/callback-mac.js';

/** Vonage's webhook bodies are a few hundred bytes. */
export const WEBHOOK_BODY_LIMIT = '16kb';

/** Keeps the bytes as received: the signature's payload_hash is computed over them. */
export const jsonBody = express.json({
  limit: WEBHOOK_BODY_LIMIT,
  verify: (req, _res, raw) => {
    (req as Request & { rawBody?: Buffer }).rawBody = raw;
  },
});

/** A POST webhook must say it carries JSON; anything else is refused before it is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (req.method === 'POST' && !req.is('application/json')) {
    next(new HttpError('unsupported_media_type', 'send the webhook as application/json'));
    return;
  }
  next();
};

/** GET webhooks carry their fields in the query, POST webhooks in a JSON body. */
const payloadOf = (req: Request): unknown => (req.method === 'GET' ? req.query : req.body);

/**
 * Answers an NCCO as JSON, without what res.json adds around it (an ETag hashed from the body,
 * a freshness check, a Buffer copy): Vonage never revalidates an answer, and that machinery cost
 * ~13% of the answer webhook's CPU (bench/findings.md). Content-Length is set here so that the
 * access log sees it.
 */
function sendNcco(res: express.Response, ncco: Ncco): void {
  const body = JSON.stringify(ncco);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Adds the webhook routes to the app itself rather than to a router of their own: a nested
 * router is one more dispatch, with its own URL parse, on every answer webhook.
 * With signatures on, GET answer and event webhooks are refused (no signature covers their
 * query). The whisper is verified by GET too: an endpoint's onAnswer URL has no method option,
 * and the whisper's only inputs are its number, proven by the MAC beside it (callback-mac.ts),
 * and that MAC.
 */
export function addWebhookRoutes(router: IRouter, tracker: CallTracker, media: MediaIntake, signatures: WebhookSignatures): void {
  const { verify, refuseQueryFields } = signatures;
  router.get('/', (_req, res) => {
    res.type('text/plain').send('Hello Vonage');
  });

  const webhook = [requireJson, jsonBody, ...verify];

  router.get('/track-call', ...refuseQueryFields, answer);
  router.post('/track-call', ...webhook, answer);
  async function answer(req: Request, res: express.Response) {
    const request = parseAnswerPayload(payloadOf(req));
    sendNcco(res, await tracker.answer(request));
  }

  router.get('/event', ...refuseQueryFields, event);
  router.post('/event', ...webhook, event);
  // A connect leg with a route's next step behind it reports here synchronously (its event URL
  // carries the route's progress and its MAC): a failed leg is answered with that next step,
  // decided from memory; every other event is answered as before. The event is recorded either way.
  async function event(req: Request, res: express.Response) {
    const other = parseOtherEvent(payloadOf(req));
    if (other) {
      tracker.noteOtherEvent(other);
      res.status(204).end();
      return;
    }
    const callEvent = parseEventPayload(payloadOf(req), new Date());
    const next = tracker.nextStep(callEvent, parseRouteProgress(req.query));
    await tracker.recordEvent(callEvent);
    if (next) sendNcco(res, next);
    else res.status(204).end();
  }

  router.get('/whisper/:number', ...verify, whisper);
  router.post('/whisper/:number', ...webhook, whisper);
  function whisper(req: Request, res: express.Response) {
    const number = parseTrackingNumber(String(req.params.number));
    if (number === null) throw new HttpError('bad_request', 'the whisper URL must end in a tracking number');
    sendNcco(res, tracker.whisper(number, req.query[MAC_PARAMETER]));
  }

  // Recordings and transcripts: the job is kept (store or spool) before the webhook is answered.
  // Nothing here is on a caller's path, so it may take the store's deadline.
  router.post(RECORDING_PATH, ...webhook, async (req, res) => {
    const kind = parseRecordingKind(req.query);
    if (kind === null) throw new HttpError('bad_request', '"kind" must be voicemail, or left out');
    await keep(parseRecordingPayload(req.body, kind, new Date()), res);
  });
  router.post(TRANSCRIPTION_PATH, ...webhook, async (req, res) => {
    await keep(parseTranscriptionPayload(req.body, new Date()), res);
  });
  async function keep(job: MediaJob, res: express.Response) {
    switch (await media.accept(job)) {
      case 'refused':
        throw new HttpError('bad_request', 'the file URL is not on a Vonage host');
      case 'lost':
        // Vonage retries a webhook that fails; the job is our only word of the file.
        throw new HttpError('unavailable', 'the recording could not be kept; send it again');
      case 'kept':
        res.status(204).end();
    }
  }
}
