// The domain: records each inbound call to a tracking number and answers the NCCO that connects
// it to the business, showing the tracking number as caller ID. Bookkeeping never stands between
// a caller and the connect: a failure to record is logged, and the call is connected all the same.

import type { CallEvent, InboundCall } from './calls.js';
import type { CallRecorder } from '../durability/call-recorder.js';
import type { Logger } from '../logger.js';
import { connectNcco, talkNcco, type Ncco } from './ncco.js';
import type { NumberDirectory } from './number-directory.js';
import type { AnswerRequest } from '../http/webhook-payloads.js';

export interface TrackerSettings {
  proxyToNumber: string;
  publicUrl: string | null;
}

/** Where Vonage fetches a number's whisper when the agent answers. */
export const whisperPath = (trackingNumber: string) => `/whisper/${trackingNumber}`;

export class CallTracker {
  constructor(
    private readonly settings: TrackerSettings,
    private readonly directory: NumberDirectory,
    private readonly recorder: CallRecorder,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records the call (unless Vonage sent no uuid to key it by) and returns its connect NCCO. */
  async answer(request: AnswerRequest): Promise<Ncco> {
    const entry = this.directory.lookup(request.trackingNumber);
    const forwardTo = entry?.forwardTo ?? this.settings.proxyToNumber;
    const { publicUrl } = this.settings;
    const ncco = connectNcco({
      callerIdNumber: request.trackingNumber,
      forwardTo,
      whisperUrl: entry?.whisper && publicUrl && request.trackingNumber ? publicUrl + whisperPath(request.trackingNumber) : undefined,
      eventUrl: publicUrl ? `${publicUrl}/event` : undefined,
    });

    if (request.uuid === null) {
      this.logger.warn('answer webhook without uuid: connected, not recorded');
      return ncco;
    }
    if (request.trackingNumber === null) {
      this.logger.warn('answer webhook without a tracking number: recorded without one', { uuid: request.uuid });
    }
    const call: InboundCall = {
      uuid: request.uuid,
      conversationUuid: request.conversationUuid,
      trackingNumber: request.trackingNumber,
      caller: request.caller,
      campaign: entry?.campaign ?? null,
      forwardTo,
      startedAt: this.now(),
    };
    try {
      await this.recorder.recordCall(call);
    } catch (error) {
      // The recorder spools what the store refuses and does not throw; should a bug make it,
      // the caller is still connected.
      this.logger.error('call not recorded', { uuid: call.uuid, error: String(error) });
    }
    return ncco;
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
}
