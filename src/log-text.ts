/**
 * pino's JSON lines as a person reads them on a terminal: `08:34:05 INFO  tunnel health changed  site=dc1
 * tunnel=primary`. For the sandbox's terminal only: machines (a pipe, a file, CloudWatch) get the JSON.
 */
const LEVELS: Readonly<Record<number, [string, number]>> = {
  10: ['TRACE', 90],
  20: ['DEBUG', 90],
  30: ['INFO ', 36],
  40: ['WARN ', 33],
  50: ['ERROR', 31],
  60: ['FATAL', 31],
};
/** Fields every line has, or that the text already says. */
const SKIP = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname', 'err']);
/** A nested value (evidence, a trigger) is cut here: LOG_FORMAT=json shows it whole. */
const MAX_VALUE = 120;

const pad = (n: number) => String(n).padStart(2, '0');

function value(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const short = s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
  return typeof v === 'string' && /[\s="]/.test(short) ? JSON.stringify(short) : short;
}

/** One JSON log line as text; a line that is not JSON passes unchanged. */
export function formatLogLine(line: string, colour: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const at = new Date(typeof rec.time === 'number' ? rec.time : Date.now());
  const msg = String(rec.msg ?? '');
  const [name, code] = LEVELS[rec.level as number] ?? ['LOG  ', 0];
  const level = colour && code ? `\x1b[${code}m${name}\x1b[39m` : name;
  const fields = Object.entries(rec)
    // A string the message already says (a decision's reason) is not repeated.
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined && !(typeof v === 'string' && msg.includes(v)))
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  const err = rec.err as { message?: string; stack?: string } | undefined;
  const detail = err ? `\n  ${(err.stack ?? err.message ?? String(err)).split('\n').join('\n  ')}` : '';
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  return `${time} ${level} ${msg}${fields ? `  ${fields}` : ''}${detail}`;
}

/** A pino destination that writes each record as text to `out`. */
export function textDestination(out: NodeJS.WritableStream, colour: boolean): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${formatLogLine(line, colour)}\n`);
    },
  };
}
