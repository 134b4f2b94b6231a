// Sets one variable in a .env file and leaves every other line as it was.

import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../../security/private-files.js';

/** A `NAME=…` line, `export NAME=…` too (dotenv reads both). */
const assignmentOf = (name: string) => new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`);

/** Writes `name=value` over the variable's line, or appends it; a new file is made mode 0600 (it holds secrets). */
export async function setEnvVariable(path: string, name: string, value: string): Promise<void> {
  let text = '';
  let mode = PRIVATE_FILE_MODE;
  try {
    text = await readFile(path, 'utf8');
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const assignment = assignmentOf(name);
  const index = lines.findIndex((line) => assignment.test(line));
  if (index === -1) lines.push(`${name}=${value}`);
  else lines[index] = `${name}=${value}`;
  // Written beside it and renamed over it: an interrupted write never leaves half a .env.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${lines.join('\n')}\n`, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}
