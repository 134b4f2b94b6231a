// Assembles recording support from the config: the files folder, the intake the webhooks hand
// jobs to, the download worker (only with a Vonage application, whose key signs downloads) and
// the retention sweep (only with RECORDING_RETENTION_DAYS).

import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CallRecorder } from './call-recorder.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { LocalMediaFiles, type MediaFiles } from '../store/media-files.js';
import type { MediaStore } from '../store/media-store.js';
import { MediaIntake } from './media-intake.js';
import { MediaRetention } from './media-retention.js';
import { MediaWorker } from './media-worker.js';

/** The worker looks for due retries at least this often. */
const MAX_POLL_MS = 30_000;
const RETENTION_SWEEP_MS = 3600_000;

export interface MediaParts {
  files: MediaFiles;
  intake: MediaIntake;
  /** Abandons the download in flight (it is claimed again later) and stops the timers. */
  stop(): Promise<void>;
}

/** Reads the private key that signs downloads; a missing or unreadable key stops start-up. */
async function readPrivateKey(path: string): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(path);
    createPrivateKey(key);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a PEM private key';
    throw new Error(`VONAGE_PRIVATE_KEY ${path}: ${reason} (run \`npm run setup\`, or unset VONAGE_APPLICATION_ID to keep recordings undownloaded)`);
  }
  return key;
}

export async function startMedia(config: Readonly<Config>, store: MediaStore, recorder: CallRecorder, logger: Logger): Promise<MediaParts> {
  const files = await LocalMediaFiles.open(config.recordingsDir, logger);
  const hostPolicy = { allowLoopback: config.recordingsAllowLoopback };
  let worker: MediaWorker | null = null;
  if (config.vonageApplication) {
    const { applicationId, privateKeyPath } = config.vonageApplication;
    worker = new MediaWorker(store, files, {
      applicationId,
      privateKey: await readPrivateKey(privateKeyPath),
      hostPolicy,
      firstRetryMs: config.recordingRetryMs,
      pollMs: Math.min(config.recordingRetryMs, MAX_POLL_MS),
    }, logger);
    worker.start();
  }
  let retention: MediaRetention | null = null;
  if (config.recordingRetentionDays !== null) {
    retention = new MediaRetention(store, files, config.recordingRetentionDays, logger);
    retention.start(RETENTION_SWEEP_MS);
  }
  const intake = new MediaIntake(recorder, hostPolicy, logger, worker ? () => worker.nudge() : null);
  return {
    files,
    intake,
    async stop() {
      await Promise.all([worker?.stop(), retention?.stop()]);
    },
  };
}
