// Report API: to be written (issue 5).
import { Router } from 'express';
import type { Config } from '../config.js';
import type { CallStore } from '../store/call-store.js';

export function reportRoutes(_store: CallStore, _config: Readonly<Config>): Router {
  return Router();
}
