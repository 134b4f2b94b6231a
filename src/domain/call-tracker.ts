// The domain: records each inbound call to a tracking number and answers the NCCO its route
// decides (route.ts): connect to a destination, showing the tracking number as caller ID, a
// closed action, or the end of a blocked call; and, when a destination's leg fails, the next
// step. Bookkeeping never stands between a caller and the NCCO: a failure to record is logged,
// and the call goes on all the same.

import type { CallEvent, InboundCall } from './calls.js';
import type { CallRecorder } from '../durability/call-recorder.js';
import type { Logger } from '../logger.js';
import { talkNcco, type Ncco } from './ncco.js';
import type { NumberDirectory } from './number-directory.js';
import type { AnswerRequest, OtherVonageEvent } from '../http/webhook-payloads.js';
import { decideRoute, resolveRoute, type Route, type RouteInput, type RouteStage } from './route.js';
import { provenProgress, UNPROVEN_PROGRESS, type ClaimedProgress } from './route-progress.js';
import type { RoundRobinTurns } from './round-robin-turns.js';
import type { TrackingNumber } from './tracking-numbers.js';
import { callbackMac, MAC_PARAMETER, type CallbackMac } from '../security/callback-mac.js';

export interface TrackerSettings {
  proxyToNumber: string;
  publicUrl: string | null;
  /** The default zone of a route's opening hours. */
  timeZone: string;
  /** All the answer webhook may wait for the store, round-robin turn and record together. */
  answerStoreTimeoutMs: number;
  /** The key of the MACs in the URLs handed to Vonage is derived from it; null signs nothing. */
  signatureSecret: string | null;
}

/** What the whisper says for a number without whisper or campaign, and when its URL's number is not proven ours. */
export const PLAIN_WHISPER_TEXT = 'Incoming tracked call.';

/** A leg that ends so has failed to reach its destination: the route tries its next step. */
const FAILED_LEG_STATUSES = new Set(['busy', 'timeout', 'unanswered', 'rejected', 'failed']);

export class CallTracker {
  /** Each entry's route with its defaults filled in, made once per entry (the directory replaces entries it changes). */
  readonly #routes = new WeakMap<TrackingNumber, Route>();
  #defaultRoute: Route | null = null;
  readonly #callbackMac: CallbackMac;

  constructor(
    private readonly settings: TrackerSettings,
    private readonly directory: NumberDirectory,
    private readonly recorder: CallRecorder,
    private readonly turns: RoundRobinTurns,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#callbackMac = callbackMac(settings.signatureSecret);
  }

  /** Records the call (unless Vonage sent no uuid to key it by) and returns the NCCO its route decides. */
  async answer(request: AnswerRequest): Promise<Ncco> {
    const startedMs = performance.now();
    const startedAt = this.now();
    const { trackingNumber } = request;
    const entry = this.directory.lookup(trackingNumber);
    const route = this.#routeOf(entry);
    const decide = (turn: number) =>
      decideRoute(this.#routeInput(entry, route, trackingNumber, startedAt, { kind: 'answer' as const, caller: request.caller, turn }));

    let decision = decide(0);
    // A round-robin turn is spent only on a call that rings someone, so the rotation stays even.
    let recordDeadlineMs: number | undefined;
    if (decision.kind === 'connect' && route.strategy === 'round_robin' && route.destinations.length > 1 && trackingNumber !== null) {
      const budgetMs = this.settings.answerStoreTimeoutMs;
      const turn = await this.turns.take(trackingNumber, request.uuid, this.recorder.storeFailing() ? 0 : budgetMs);
      decision = decide(turn);
      recordDeadlineMs = Math.max(0, budgetMs - (performance.now() - startedMs));
    }
    const { ncco } = decision;

    if (request.uuid === null) {
      this.logger.warn('answer webhook without uuid: routed, not recorded');
      return ncco;
    }
    if (trackingNumber === null) {
      this.logger.warn('answer webhook without a tracking number: recorded without one', { uuid: request.uuid });
    }
    if (decision.kind === 'blocked') this.logger.info('caller blocked: call ended, not connected', { uuid: request.uuid });
    const call: InboundCall = {
      uuid: request.uuid,
      conversationUuid: request.conversationUuid,
      trackingNumber,
      caller: request.caller,
      campaign: entry?.campaign ?? null,
      forwardTo: decision.kind === 'connect' ? decision.destination : route.destinations[0]!.number,
      startedAt,
    };
    if (decision.kind === 'blocked') call.blocked = true;
    if (this.directory.isPoolNumber(trackingNumber)) call.pooled = true;
    try {
      await this.recorder.recordCall(call, recordDeadlineMs);
    } catch (error) {
      // The recorder spools what the store refuses and does not throw; should a bug make it,
      // the caller is still routed.
      this.logger.error('call not recorded', { uuid: call.uuid, error: String(error) });
    }
    return ncco;
  }

  /**
   * The next step of a call's route when a destination's leg has failed (busy, unanswered, …),
   * or null when there is none or the event is not such a failure: the call then goes on as
   * Vonage would take it. Progress whose MAC does not prove it ours (a replay with an altered
   * query, or a leg that began before the secret changed) is taken as UNPROVEN_PROGRESS.
   */
  nextStep(event: CallEvent, claim: ClaimedProgress | null): Ncco | null {
    if (claim === null || !FAILED_LEG_STATUSES.has(event.status)) return null;
    let progress = provenProgress(claim, this.#callbackMac);
    if (progress === null) {
      this.logger.warn('route progress in the event URL is not proven by its MAC: the caller is connected to PROXY_TO_NUMBER', { uuid: event.legUuid });
      progress = UNPROVEN_PROGRESS;
    }
    const entry = this.directory.lookup(progress.trackingNumber);
    const decision = decideRoute(this.#routeInput(entry, this.#routeOf(entry), progress.trackingNumber, this.now(), { kind: 'failover', progress }));
    return decision.kind === 'end' || decision.kind === 'blocked' ? null : decision.ncco;
  }

  async recordEvent(event: CallEvent): Promise<void> {
    await this.recorder.recordEvent(event);
  }

  /** An event without a call status changes no call; an error Vonage reports is worth a line. */
  noteOtherEvent(event: OtherVonageEvent): void {
    if (event.reason !== null) this.logger.warn('Vonage reported an error', { conversationUuid: event.conversationUuid, reason: event.reason });
  }

  /** The NCCO played to the agent who picks up a call to `trackingNumber`, when `mac` proves the number ours. */
  whisper(trackingNumber: string, mac: unknown): Ncco {
    if (!this.#callbackMac.verifies('whisper', [trackingNumber], mac)) {
      this.logger.warn('whisper URL not proven by its MAC: answered with the plain whisper');
      return talkNcco(PLAIN_WHISPER_TEXT);
    }
    const entry = this.directory.lookup(trackingNumber);
    if (entry?.whisper) return talkNcco(entry.whisper);
    return talkNcco(entry?.campaign ? `Call from ${entry.campaign}.` : PLAIN_WHISPER_TEXT);
  }

  /** Where Vonage fetches a number's whisper when the agent answers. */
  #whisperUrl(publicUrl: string, trackingNumber: string): string {
    const proof = this.#callbackMac.sign('whisper', [trackingNumber]);
    return `${publicUrl}/whisper/${trackingNumber}${proof === null ? '' : `?${MAC_PARAMETER}=${proof}`}`;
  }

  #routeOf(entry: TrackingNumber | undefined): Route {
    const { timeZone, proxyToNumber } = this.settings;
    if (entry === undefined) return (this.#defaultRoute ??= resolveRoute(null, { timeZone, forwardTo: proxyToNumber }));
    let route = this.#routes.get(entry);
    if (!route) {
      route = resolveRoute(entry.route, { timeZone, forwardTo: entry.forwardTo ?? proxyToNumber });
      this.#routes.set(entry, route);
    }
    return route;
  }

  #routeInput<Stage extends RouteStage>(
    entry: TrackingNumber | undefined, route: Route, trackingNumber: string | null, now: Date, stage: Stage,
  ): RouteInput<Stage> {
    const { publicUrl } = this.settings;
    return {
      route,
      globalBlockList: this.directory.blockList(),
      trackingNumber,
      publicUrl,
      callbackMac: this.#callbackMac,
      whisperUrl: entry?.whisper && publicUrl && trackingNumber ? this.#whisperUrl(publicUrl, trackingNumber) : undefined,
      now,
      stage,
    };
  }
}
