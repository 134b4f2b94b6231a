// PostgreSQL store: to be written (issue 3).
import type { CallStore } from '../call-store.js';

export async function openPostgresStore(_url: string): Promise<CallStore> {
  throw new Error('the PostgreSQL store is not available yet');
}
