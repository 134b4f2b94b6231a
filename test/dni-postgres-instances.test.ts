// Two instances on one PostgreSQL database hand out numbers of one pool at the same moment: as
// long as the pool has a free number, no two live visits get the same one.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './helpers/postgres.js';
import { startTestService, type TestService } from './helpers/service.js';

const SITE = 'https://www.plumbers.example';
const POOL_SIZE = 24;

describe('DNI with two instances on one PostgreSQL', { skip: postgresSkipReason }, () => {
  let database: TestDatabase;
  let instances: TestService[] = [];
  before(async () => {
    database = await createTestDatabase('dni_instances');
    const env = { DATABASE_URL: database.url, DNI_ALLOWED_ORIGINS: SITE, DNI_HOLDS_PER_ADDRESS_PER_HOUR: '1000' };
    instances = [await startTestService(env), await startTestService(env)];
  });
  after(async () => {
    for (const instance of instances) await instance.stop();
    await database?.drop();
  });

  let sequence = 0;
  async function askBoth(pool: string, visits: number): Promise<{ number: string; visitId: string }[]> {
    return Promise.all(Array.from({ length: visits }, async (_, i) => {
      sequence += 1;
      const res = await fetch(`${instances[i % 2]!.url}/dni/visits`, {
        method: 'POST',
        headers: { origin: SITE, 'content-type': 'text/plain', 'x-forwarded-for': `198.51.100.${sequence % 250}` },
        body: JSON.stringify({ pool, utmSource: `visitor-${i}` }),
      });
      assert.equal(res.status, 200);
      return res.json();
    }));
  }

  for (const round of [1, 2, 3]) {
    test(`round ${round}: ${POOL_SIZE} simultaneous visits split over both instances get ${POOL_SIZE} different numbers`, async () => {
      const pool = `round-${round}`;
      const numbers = Array.from({ length: POOL_SIZE }, (_, i) => `4420794${round}${String(i).padStart(4, '0')}`);
      const res = await fetch(`${instances[0]!.url}/api/pools/${pool}`, {
        method: 'PUT', headers: { ...instances[0]!.admin, 'content-type': 'application/json' },
        body: JSON.stringify({ replaces: '+44 20 7946 0000', numbers }),
      });
      assert.equal(res.status, 201);

      const visits = await askBoth(pool, POOL_SIZE);
      assert.equal(new Set(visits.map((v) => v.number)).size, POOL_SIZE, 'every visit got its own number');
      assert.equal(new Set(visits.map((v) => v.visitId)).size, POOL_SIZE);

      // The pool is now exhausted: further visits share numbers, and are counted as such.
      await askBoth(pool, 4);
      const attribution = await (await fetch(`${instances[1]!.url}/api/attribution`, { headers: instances[1]!.admin })).json();
      const sizing = attribution.pools.find((p: { poolId: string }) => p.poolId === pool);
      assert.deepEqual([sizing.holds, sizing.reusedHolds, sizing.peakConcurrentVisits, sizing.numbersToAdd], [POOL_SIZE + 4, 4, POOL_SIZE + 4, 4]);
    });
  }
});
