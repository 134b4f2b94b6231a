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
import type { AnswerRequest } from '../http/webhook-payloads.js';
import { decideRoute, resolveRoute, type Route, type RouteInput, type RouteStage } from './route.js';
import type { RouteProgress } from './route-progress.js';
import type { RoundRobinTurns } from './round-robin-turns.js';
import type { TrackingNumber } from './tracking-numbers.js';

export interface TrackerSettings {
  proxyToNumber: string;
  publicUrl: string | null;
  /** The default zone of a route's opening hours. */
  timeZone: string;
  /** All the answer webhook may wait for the store, round-robin turn and record together. */
  answerStoreTimeoutMs: number;
}

/** Where Vonage fetches a number's whisper when the agent answers. */
export const whisperPath = (trackingNumber: string) => `/whisper/${trackingNumber}`;

/** A leg that ends so has failed to reach its destination: the route tries its next step. */
const FAILED_LEG_STATUSES = new Set(['busy', 'timeout', 'unanswered', 'rejected', 'failed']);

export class CallTracker {
  /** Each entry's route with its defaults filled in, made once per entry (the directory replaces entries it changes). */
  readonly #routes = new WeakMap<TrackingNumber, Route>();
  #defaultRoute: Route | null = null;

  constructor(
    private readonly settings: TrackerSettings,
    private readonly directory: NumberDirectory,
    private readonly recorder: CallRecorder,
    private readonly turns: RoundRobinTurns,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

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
      const turn = await this.turns.take(trackingNumber, this.recorder.storeFailing() ? 0 : budgetMs);
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
   * Vonage would take it.
   */
  nextStep(event: CallEvent, progress: RouteProgress | null): Ncco | null {
    if (progress === null || !FAILED_LEG_STATUSES.has(event.status)) return null;
    const entry = this.directory.lookup(progress.trackingNumber);
    const decision = decideRoute(this.#routeInput(entry, this.#routeOf(entry), progress.trackingNumber, this.now(), { kind: 'failover', progress }));
    return decision.kind === 'end' || decision.kind === 'blocked' ? null : decision.ncco;
  }

  async recordEvent(event: CallEvent): Promise<void> {
    await this.recorder.recordEvent(event);
  }

  /** The NCCO played to the agent who picks up a call to `trackingNumber`. */
  whisper(trackingNumber: string): Ncco {
    const entry = this.directory.lookup(trackingNumber);
    if (entry?.whisper) return talkNcco(entry.whisper);
    return talkNcco(entry?.campaign ? `Call from ${entry.campaign}.` : 'Incoming tracked call.');
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
      whisperUrl: entry?.whisper && publicUrl && trackingNumber ? publicUrl + whisperPath(trackingNumber) : undefined,
      now,
      stage,
    };
  }
}
