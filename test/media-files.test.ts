// The local media storage: a file is stored whole or not at all, privately, and what a crash
// left half-written is cleared at start.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalMediaFiles, WrongSizeError } from '../src/store/media-files.js';
import { MemoryLogger } from './helpers/memory-logger.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-media-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function* chunks(...parts: (Buffer | Error)[]): AsyncIterable<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Error) throw part;
    yield part;
  }
}

test('a body cut short, or of the wrong size, leaves no file; a whole one is stored privately', async () => {
  const folder = join(dir, 'recordings');
  const files = await LocalMediaFiles.open(folder, new MemoryLogger());
  await assert.rejects(files.save('cut.mp3', chunks(Buffer.from('half'), new Error('socket hang up')), { expectedBytes: 8, maxBytes: 100 }), /socket hang up/);
  await assert.rejects(files.save('short.mp3', chunks(Buffer.from('half')), { expectedBytes: 8, maxBytes: 100 }), WrongSizeError);
  await assert.rejects(files.save('long.mp3', chunks(Buffer.from('far too long')), { expectedBytes: 8, maxBytes: 100 }), WrongSizeError);
  assert.deepEqual(readdirSync(folder), []);

  assert.equal(await files.save('whole.mp3', chunks(Buffer.from('all'), Buffer.from(' here')), { expectedBytes: 8, maxBytes: 100 }), 8);
  assert.deepEqual(readdirSync(folder), ['whole.mp3']);
  assert.equal(statSync(join(folder, 'whole.mp3')).mode & 0o777, 0o600);
  assert.equal(statSync(folder).mode & 0o777, 0o700);
  assert.equal(await files.sizeOf('whole.mp3'), 8);
  assert.equal(await files.sizeOf('gone.mp3'), null);
  assert.throws(() => files.read('../calls.db'), /not a media file key/);
});

test('a partial file a crash left behind is removed when the storage opens; stored files stay', async () => {
  const folder = join(dir, 'after-crash');
  await LocalMediaFiles.open(folder, new MemoryLogger());
  writeFileSync(join(folder, 'rec.mp3.0b8e.partial'), 'half a recording');
  writeFileSync(join(folder, 'kept.mp3'), 'a whole recording');
  await LocalMediaFiles.open(folder, new MemoryLogger());
  assert.deepEqual(readdirSync(folder), ['kept.mp3']);
  assert.equal(readFileSync(join(folder, 'kept.mp3'), 'utf8'), 'a whole recording');
});
