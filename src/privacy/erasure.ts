// What replaces an erased caller's number on their calls.
//
// A marker drawn at random for each erasure and used on every call of that caller: the calls
// still share one "caller", so unique and first-time caller counts stay what they were, yet
// nothing links the marker to the number. A hash of the number would keep counts right too, but
// anyone could find the number again by hashing every phone number there is (a few billion),
// keyed or not, as long as the key sits beside the data. A later call from the same number
// counts as a new caller: after erasure we cannot know it is the same person, by design.

import { randomUUID } from 'node:crypto';

const MARKER_PREFIX = 'erased:';

export function newErasureMarker(): string {
  return `${MARKER_PREFIX}${randomUUID()}`;
}
