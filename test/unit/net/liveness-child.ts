// A process that holds a liveness listener until it is killed; prints its address as one JSON line.
import { startLivenessListener } from '../../../src/net/tcp-liveness.js';

const instance = process.argv[2] ?? 'child';
const listener = await startLivenessListener({
  bindHost: '127.0.0.1',
  port: 0,
  advertise: '127.0.0.1',
  instance,
});
process.stdout.write(`${JSON.stringify(listener.address)}\n`);
setInterval(() => undefined, 60_000);
