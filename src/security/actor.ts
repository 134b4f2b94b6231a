// Who made an admin request, as the audit log records it: an opaque string the auth layer sets
// once the request is let in (today the one admin token; user logins would set a user id).

import type { Response } from 'express';

export const ADMIN_TOKEN_ACTOR = 'admin-token';

export function setActor(res: Response, actor: string): void {
  res.locals.actor = actor;
}

export function actorOf(res: Response): string {
  const actor: unknown = res.locals.actor;
  return typeof actor === 'string' ? actor : 'unknown';
}
