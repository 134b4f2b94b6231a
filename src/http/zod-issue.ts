// A zod validation failure as the one-line reason a 400 gives: the field first, then what is wrong.

import type { z } from 'zod';

export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  // An unknown key is reported on the object, with the key's name in `keys`.
  const field = issue?.path.join('.') || (issue as { keys?: string[] } | undefined)?.keys?.join(', ') || 'body';
  return `"${field}" ${issue?.message ?? 'is invalid'}`;
}
