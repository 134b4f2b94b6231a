// Where Vonage posts a recording's and a transcription's webhooks. A recording's kind travels in
// its event URL's query, as a route's progress does: the recording webhook's payload cannot say
// whether it holds a conversation or a voicemail.

export type RecordingKind = 'call' | 'voicemail';

export const RECORDING_PATH = '/recording';
export const TRANSCRIPTION_PATH = '/transcription';

export function recordingEventUrl(publicUrl: string, kind: RecordingKind): string {
  return kind === 'call' ? `${publicUrl}${RECORDING_PATH}` : `${publicUrl}${RECORDING_PATH}?kind=voicemail`;
}

export function transcriptionEventUrl(publicUrl: string): string {
  return `${publicUrl}${TRANSCRIPTION_PATH}`;
}

/** The kind named by a recording webhook's query; a conversation when it names none. */
export function parseRecordingKind(query: Record<string, unknown>): RecordingKind | null {
  if (query.kind === undefined) return 'call';
  return query.kind === 'voicemail' ? 'voicemail' : null;
}
