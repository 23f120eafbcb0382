import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Liveness, LivenessAddress, ProcessLiveness } from '../ports/liveness.js';

/**
 * Both ends of the liveness channel (see ports/liveness.ts). The listener greets every connection with one line,
 * `tunnelops-liveness 1 <instance>`, and then holds it open without a word: the kernel closes it the moment the
 * process exits, which is how a watcher hears of the death at once. Refused means no listener: the process is
 * gone. A firewall must drop, not reject, this port for that to hold (AWS security groups and NACLs only drop).
 */
const GREETING = 'tunnelops-liveness 1 ';
/** A greeting is one short line; anything longer is not ours. */
const MAX_GREETING_BYTES = 256;
/**
 * The failure these bounds handle: the lease holder's process dies while strangers in the VPC (the security
 * group admits the whole VPC) hold every connection slot with silent connections. Without them the peer's
 * watch was refused, it never heard the death, and takeover waited out the 10 s lease. So: each address may
 * hold a few connections (two deciders per site need a handful), the total is capped, and when it is full a
 * newcomer takes the place of the oldest connection of the address holding most; a connection is closed after
 * IDLE_MS (a watch holds one for at most a minute, FOLLOW_MAX_MS, and hangs up itself).
 */
export const LIVENESS_LIMITS = { perAddress: 8, total: 256, idleMs: 75_000 };
const DEFAULT_TIMEOUT_MS = 500;

export interface LivenessListener {
  address: LivenessAddress;
  close(): Promise<void>;
}

type LivenessLimits = typeof LIVENESS_LIMITS;

/** Starts this process's listener; `advertise` is the address peers reach it at (its VPC address). */
export async function startLivenessListener(props: {
  bindHost: string;
  port: number;
  advertise: string;
  instance: string;
  /** Errors after start (an accept that fails); the listener carries on. */
  onError?: (err: Error) => void;
  limits?: Partial<LivenessLimits>;
}): Promise<LivenessListener> {
  const limits = { ...LIVENESS_LIMITS, ...props.limits };
  const slots = new ConnectionSlots(limits);
  const server: Server = createServer((socket) => {
    if (!slots.admit(socket)) {
      socket.destroy();
      return;
    }
    socket.on('close', () => slots.forget(socket));
    holdSilently(socket, limits.idleMs, props.instance);
  });
  await listen(server, props.port, props.bindHost, props.onError);
  const port = (server.address() as { port: number }).port;
  return {
    address: { host: props.advertise, port, instance: props.instance },
    close: () =>
      new Promise<void>((resolve) => {
        slots.destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** Greets an admitted connection and holds it open without a word until it closes or idles out. */
function holdSilently(socket: Socket, idleMs: number, instance: string): void {
  socket.on('error', () => socket.destroy());
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('data', () => undefined); // a watcher says nothing; anything it does say is dropped
  socket.setKeepAlive(true, 5000);
  socket.write(`${GREETING}${instance}\n`);
}

/** Listens; a failure to bind rejects, an error after that goes to `onError` and the listener carries on. */
function listen(server: Server, port: number, host: string, onError?: (err: Error) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => onError?.(err));
      resolve();
    });
  });
}

/** The open connections by peer address, within LIVENESS_LIMITS (see there for the failure they handle). */
class ConnectionSlots {
  /** Open connections by peer address, oldest first. */
  private readonly byAddress = new Map<string, Socket[]>();
  private readonly addressOf = new Map<Socket, string>(); // kept: a closed socket no longer knows its peer

  constructor(private readonly limits: LivenessLimits) {}

  /** Takes the connection, when full in place of the oldest of the address holding most; false: refuse it. */
  admit(socket: Socket): boolean {
    const from = socket.remoteAddress ?? '';
    const own = this.byAddress.get(from) ?? [];
    if (own.length >= this.limits.perAddress) return false;
    if (this.addressOf.size >= this.limits.total) {
      const [, greediest] = [...this.byAddress].reduce((a, b) => (b[1].length > a[1].length ? b : a));
      if (greediest.length <= own.length + 1) return false; // no one holds more than this newcomer would
      greediest[0]?.destroy();
      this.forget(greediest[0]);
    }
    own.push(socket);
    this.byAddress.set(from, own);
    this.addressOf.set(socket, from);
    return true;
  }

  forget(socket: Socket | undefined): void {
    const from = socket && this.addressOf.get(socket);
    if (!socket || from === undefined) return;
    this.addressOf.delete(socket);
    const own = this.byAddress.get(from) ?? [];
    own.splice(own.indexOf(socket), 1);
    if (own.length === 0) this.byAddress.delete(from);
  }

  destroyAll(): void {
    for (const s of [...this.addressOf.keys()]) s.destroy();
  }
}

type Greeted =
  | { kind: 'greeted'; instance: string; socket: Socket }
  | { kind: 'settled'; liveness: Liveness };

/** Connects and reads the greeting: which instance listens there, or what the failure says. */
function greet(at: LivenessAddress, timeoutMs: number): Promise<Greeted> {
  return new Promise((resolve) => {
    const socket = connect({ host: at.host, port: at.port });
    let buf = '';
    let done = false;
    const finish = (g: Greeted) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (g.kind === 'settled') socket.destroy();
      resolve(g);
    };
    const timer = setTimeout(() => finish({ kind: 'settled', liveness: 'unknown' }), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > MAX_GREETING_BYTES) finish({ kind: 'settled', liveness: 'unknown' });
        return;
      }
      const line = buf.slice(0, nl);
      // Something else listens on the port: no evidence either way.
      if (!line.startsWith(GREETING)) finish({ kind: 'settled', liveness: 'unknown' });
      else finish({ kind: 'greeted', instance: line.slice(GREETING.length), socket });
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      // Refused: the host is up and nothing listens. Anything else (unreachable, reset) proves nothing.
      finish({ kind: 'settled', liveness: err.code === 'ECONNREFUSED' ? 'dead' : 'unknown' }),
    );
    socket.on('close', () => finish({ kind: 'settled', liveness: 'unknown' }));
  });
}

/** The client side: one connect per check; a watch holds the connection until it closes. */
export function tcpLiveness(options: { timeoutMs?: number } = {}): ProcessLiveness {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async check(at) {
      const g = await greet(at, timeoutMs);
      if (g.kind === 'settled') return g.liveness;
      g.socket.destroy();
      return g.instance === at.instance ? 'alive' : 'dead';
    },
    async watch(at, maxMs, signal) {
      const started = Date.now();
      const g = await greet(at, Math.min(timeoutMs, maxMs));
      if (g.kind === 'greeted' && g.instance !== at.instance) g.socket.destroy();
      if (g.kind === 'settled' && g.liveness !== 'unknown') return;
      if (g.kind === 'greeted' && g.instance !== at.instance) return;
      // Held until the process goes (the connection closes), the limit, or the caller gives up. Unreachable:
      // nothing to hold, so the same wait without a socket rather than a spin of connects.
      const socket = g.kind === 'greeted' ? g.socket : null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(end, Math.max(0, maxMs - (Date.now() - started)));
        function end(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', end);
          socket?.destroy();
          resolve();
        }
        if (signal?.aborted) return end();
        signal?.addEventListener('abort', end, { once: true });
        socket?.once('close', end);
        socket?.once('end', end);
        socket?.once('error', end);
        socket?.resume();
      });
    },
  };
}
