// A tracking number's settings: which campaign it belongs to and where its calls go.

import type { RouteSettings } from './route.js';

export interface TrackingNumber {
  /** E.164 digits. */
  number: string;
  campaign: string | null;
  /** Overrides PROXY_TO_NUMBER for this number's calls (a route's destinations replace both). */
  forwardTo: string | null;
  /** Spoken to the person who answers, before the caller is joined. */
  whisper: string | null;
  /** Hours, destinations, closed action and block list; null: always open, forwarded as above. */
  route: RouteSettings | null;
}
