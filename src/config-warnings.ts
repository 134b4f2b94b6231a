// Settings that start the server but are probably not what the user meant: a variable that looks
// like a misspelling of one of ours (it would be silently ignored), and example.env's fictional
// forwarding number (calls would ring nobody).

import leven from 'leven';
import { CONFIG_VARIABLES, type Config } from './config.js';
import { SETUP_VARIABLES } from './setup-config.js';

/** Read by Node and npm rather than by us, but a misspelling of it is still ours to point out. */
const OTHER_KNOWN_VARIABLES = ['NODE_ENV'];

/**
 * Ofcom keeps 07700 900000–900999 for drama and examples: no phone ever answers them. example.env
 * and the README use one as a placeholder.
 */
const FICTIONAL_UK_PREFIX = '447700900';
const FICTIONAL_UK_DIGITS = 12;

export function isFictionalNumber(e164: string): boolean {
  return e164.startsWith(FICTIONAL_UK_PREFIX) && e164.length === FICTIONAL_UK_DIGITS;
}

/** How far a name may be from one of ours to count as its misspelling: 1 edit, 2 for long names. */
function maxEdits(known: string): number {
  return known.length >= 10 ? 2 : 1;
}

/** The known variable `name` looks like a misspelling of, if any. */
export function misspellingOf(name: string, known: readonly string[]): string | null {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name) || known.includes(name)) return null;
  let best: { name: string; edits: number } | null = null;
  for (const candidate of known) {
    const edits = leven(name, candidate);
    if (edits <= maxEdits(candidate) && (best === null || edits < best.edits)) best = { name: candidate, edits };
  }
  return best?.name ?? null;
}

/** One line per variable that looks like a misspelling of one of ours (the server's or the setup CLI's). */
export function misspellingWarnings(env: Record<string, string | undefined>): string[] {
  const known = [...new Set([...CONFIG_VARIABLES, ...SETUP_VARIABLES, ...OTHER_KNOWN_VARIABLES])];
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const meant = misspellingOf(name, known);
    if (meant !== null) warnings.push(`${name} is not a call-tracker setting and is ignored: did you mean ${meant}?`);
  }
  return warnings;
}

/** One line per setting that deserves a warning at start-up. */
export function configWarnings(env: Record<string, string | undefined>, config: Readonly<Config>): string[] {
  const warnings = misspellingWarnings(env);
  if (isFictionalNumber(config.proxyToNumber)) {
    warnings.push(
      `PROXY_TO_NUMBER ${config.proxyToNumber} is the example's fictional number (no phone answers it): set it to the business phone calls should ring`,
    );
  }
  return warnings;
}
