import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs a command and returns stdout; the error names the command and its stderr. */
export async function sh(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, [...args], {
      timeout: opts.timeoutMs ?? 20_000,
      maxBuffer: 8 << 20,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Like sh, but resolves to the exit status instead of throwing on a non-zero one. */
export async function status(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<number> {
  try {
    await execFileAsync(cmd, [...args], { timeout: timeoutMs });
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'number' ? code : 1;
  }
}

export const inNs = (
  ns: string,
  cmd: string,
  args: readonly string[],
  opts?: { timeoutMs?: number },
): Promise<string> => sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);

export async function listNamespaces(): Promise<string[]> {
  const out = await sh('ip', ['-j', 'netns', 'list']).catch(() => '[]');
  const parsed = (out.trim() ? JSON.parse(out) : []) as Array<{ name: string }>;
  return parsed.map((n) => n.name);
}

/** Kills every process inside the namespace, then deletes it (veth pairs go with it). */
export async function deleteNamespace(ns: string): Promise<void> {
  const pids = (await sh('ip', ['netns', 'pids', ns]).catch(() => ''))
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
}

/** Removes every namespace whose name starts with prefix: the cleanup that works even after a crash. */
export async function deleteNamespacesWithPrefix(prefix: string): Promise<string[]> {
  const doomed = (await listNamespaces()).filter((n) => n.startsWith(prefix));
  for (const ns of doomed) await deleteNamespace(ns);
  return doomed;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until check() is true or the timeout passes; returns whether it became true. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 200,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await sleep(everyMs);
  }
  return false;
}
