import { pino } from 'pino';

/** An info-level pino logger whose JSON lines the test can read back. */
export function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}
