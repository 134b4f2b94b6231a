// A tracking number's settings: which campaign it belongs to and where its calls go.

export interface TrackingNumber {
  /** E.164 digits. */
  number: string;
  campaign: string | null;
  /** Overrides PROXY_TO_NUMBER for this number's calls. */
  forwardTo: string | null;
  /** Spoken to the person who answers, before the caller is joined. */
  whisper: string | null;
}
