// Takes the job a recording or transcription webhook carries: refuses a file URL on a host that is
// not Vonage's (the JWT would go there), keeps the job durably (the store within its deadline,
// else the spool: the webhook is our only word of the file, and Vonage deletes it in 30 days),
// then wakes the media worker.

import type { CallRecorder } from './call-recorder.js';
import type { Logger } from '../logger.js';
import type { MediaJob } from '../domain/recordings.js';
import { allowedMediaUrl, hostForLog, type MediaHostPolicy } from '../security/media-hosts.js';

/** kept: stored or spooled; refused: not a Vonage URL; lost: neither store nor spool took it. */
export type IntakeOutcome = 'kept' | 'refused' | 'lost';

export class MediaIntake {
  constructor(
    private readonly recorder: CallRecorder,
    private readonly policy: MediaHostPolicy,
    private readonly logger: Logger,
    /** Called once a job is in the store; null when nothing downloads (no Vonage application set). */
    private readonly onStored: (() => void) | null,
  ) {}

  async accept(job: MediaJob): Promise<IntakeOutcome> {
    if (allowedMediaUrl(job.url, this.policy) === null) {
      this.logger.warn('media webhook refused: its file URL is not on a Vonage host; nothing fetched', {
        id: job.id, kind: job.kind, host: hostForLog(job.url),
      });
      return 'refused';
    }
    const outcome = await this.recorder.recordMediaJob(job);
    if (outcome === 'lost') return 'lost';
    if (outcome === 'stored') this.onStored?.();
    return 'kept';
  }
}
