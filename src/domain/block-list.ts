// Callers kept out: exact numbers, number prefixes, and optionally callers who withhold their
// number. One list applies to every tracking number; each number may add its own.

export interface BlockList {
  /** E.164 digits, matched exactly. */
  numbers: string[];
  /** Leading digits (a country or area code, a spam range): every caller starting with them. */
  prefixes: string[];
  /** Whether a caller with no usable caller ID (withheld, missing, malformed) is blocked. */
  withheld: boolean;
}

/** A list that blocks nobody: the default, globally and per number. */
export const emptyBlockList = (): BlockList => ({ numbers: [], prefixes: [], withheld: false });

/** Whether `caller` (E.164 digits, or null when withheld) is on the list. */
export function isBlockedBy(list: BlockList, caller: string | null): boolean {
  if (caller === null) return list.withheld;
  return list.numbers.includes(caller) || list.prefixes.some((prefix) => caller.startsWith(prefix));
}
