import type { Env } from '../config/env-schema.js';

/** Who answers on a busy port: another tunnelops (its /healthz says ok) or something else. */
async function whoListens(url: string): Promise<'tunnelops' | 'other'> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    const body = (await res.json()) as { ok?: unknown };
    return res.ok && body.ok === true ? 'tunnelops' : 'other';
  } catch {
    return 'other';
  }
}

/**
 * One line a person can act on for the start failures that are about this machine, not a bug (a busy
 * port, a port we may not bind); null for anything else (then the caller shows the error itself).
 */
export async function startFailureHint(err: unknown, env: Env): Promise<string | null> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const host = env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;
  const where = `${env.HOST}:${env.PORT}`;
  if (code === 'EADDRINUSE') {
    const who =
      (await whoListens(`http://${host}:${env.PORT}`)) === 'tunnelops'
        ? `another tunnelops is already running there (http://${host}:${env.PORT}); use it, or stop it first`
        : `another program is listening there (see \`ss -ltnp 'sport = :${env.PORT}'\`)`;
    return `tunnelops cannot start: port ${where} is already in use: ${who}, or start on another port with PORT=<port> npm start`;
  }
  if (code === 'EACCES')
    return `tunnelops cannot start: no permission to listen on ${where}; use a port above 1023 (PORT=3000)`;
  if (code === 'EADDRNOTAVAIL')
    return `tunnelops cannot start: ${env.HOST} is not an address of this machine; set HOST=127.0.0.1 or 0.0.0.0`;
  return null;
}
