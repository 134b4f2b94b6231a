// The one order calls are listed in, newest first, shared by every store's keyset pagination.

import type { CallRecord } from '../domain/calls.js';
import type { CallCursor } from './call-store.js';

/** Newest first; equal start times are ordered by uuid, descending, so pages never overlap. */
export function compareNewestFirst(a: Pick<CallRecord, 'startedAt' | 'uuid'>, b: Pick<CallRecord, 'startedAt' | 'uuid'>): number {
  const byTime = b.startedAt.getTime() - a.startedAt.getTime();
  if (byTime !== 0) return byTime;
  return a.uuid < b.uuid ? 1 : a.uuid > b.uuid ? -1 : 0;
}

/** True when the call comes after the cursor in newest-first order. */
export function isBeforeCursor(call: Pick<CallRecord, 'startedAt' | 'uuid'>, cursor: CallCursor): boolean {
  return compareNewestFirst(call, cursor) > 0;
}
