import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from '../domain/errors.js';

/** A .env larger than this is not a settings file; refuse it rather than parse it. */
const MAX_ENV_FILE_BYTES = 64 * 1024;

export interface EnvFileResult {
  /** Absolute path of the file read, or null when there was none. */
  path: string | null;
  /** Keys taken from the file (absent from the environment). */
  applied: string[];
  /** Keys the file sets that the environment already had: the environment wins. */
  overridden: string[];
}

/**
 * Reads `.env` (or $TUNNELOPS_ENV_FILE) into `target` with Node's own parser (util.parseEnv): the environment wins over the file,
 * the file over nothing. A missing file is not an error; an unreadable or oversized one is.
 */
export function applyEnvFile(
  target: NodeJS.ProcessEnv = process.env,
  path = target.TUNNELOPS_ENV_FILE ?? '.env',
): EnvFileResult {
  // TUNNELOPS_ENV_FILE names another file; set to "" it reads none (hermetic tests, CI).
  if (path === '') return { path: null, applied: [], overridden: [] };
  const full = resolve(path);
  if (!existsSync(full)) return { path: null, applied: [], overridden: [] };
  const text = readFileSync(full);
  if (text.length > MAX_ENV_FILE_BYTES)
    throw new ConfigError(
      `${path} is ${text.length} bytes; a settings file is at most ${MAX_ENV_FILE_BYTES}`,
    );
  const values = parseEnv(text.toString('utf8'));
  const applied: string[] = [];
  const overridden: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (target[key] !== undefined) overridden.push(key);
    else {
      target[key] = value;
      applied.push(key);
    }
  }
  return { path: full, applied, overridden };
}

/** One line for the start banner: which file was read and what it set. */
export function describeEnvFile(r: EnvFileResult): string {
  if (!r.path) return 'settings: environment only (no .env file)';
  const parts = [`settings: ${r.path} (${r.applied.length} set`];
  if (r.overridden.length) parts.push(`; the environment overrides ${r.overridden.join(', ')}`);
  return `${parts.join('')})`;
}
