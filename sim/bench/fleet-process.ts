/**
 * A share of the bench fleet in its own process: one process may hold only so many sockets
 * (`ulimit -n`), so 20,000 boxes are spread over several. Each box connects as the agent does
 * (edge/mqtt-link.ts): its own account, a persistent session, its command and config filters,
 * full-jitter backoff from 1 s doubling to 60 s. Talks to the bench over IPC: it is sent
 * {boxes, ports, atOnce}, reports {connected, total, rssMb} as that changes, and ends on "end".
 */
import mqtt, { type MqttClient } from 'mqtt';
import { filters, topics } from '../../protocols/index.ts';

export interface FleetShare {
  boxes: [id: string, password: string][];
  ports: number[];
  /** Log-ins started at once while the share first connects. */
  atOnce: number;
}

export interface FleetReport {
  /** Boxes connected now, and connections made since the start (a restart counts again). */
  connected: number;
  connects: number;
  rssMb: number;
}

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 60_000;

function box(id: string, password: string, ports: number[], i: number, onConnect: () => void): MqttClient {
  let delay = RECONNECT_MIN_MS;
  const jittered = () => Math.round(RECONNECT_MIN_MS + Math.random() * (delay - RECONNECT_MIN_MS / 2));
  const c = mqtt.connect({
    servers: ports.map((_, k) => ({ host: '127.0.0.1', port: ports[(i + k) % ports.length]! })),
    clientId: id,
    username: id,
    password,
    protocolVersion: 4,
    clean: false,
    keepalive: 60,
    reconnectPeriod: jittered(),
    // A node still starting refuses with a CONNACK code; without this mqtt.js would stop trying.
    reconnectOnConnackError: true,
    connectTimeout: 30_000,
    will: { topic: topics.status(id), payload: Buffer.from('{}'), qos: 1, retain: false },
  });
  let subscribed = false;
  c.on('connect', () => {
    delay = RECONNECT_MIN_MS;
    if (subscribed) return onConnect();
    subscribed = true;
    c.subscribe({ [filters.deviceCommands(id)]: { qos: 1 }, [filters.deviceConfig(id)]: { qos: 1 } }, () =>
      onConnect(),
    );
  });
  const backoff = () => {
    c.options.reconnectPeriod = jittered();
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  };
  c.on('offline', backoff);
  c.on('reconnect', backoff);
  c.on('error', () => {});
  return c;
}

async function run(share: FleetShare): Promise<void> {
  const clients: MqttClient[] = [];
  let connects = 0;
  let last = '';
  const report = () => {
    const r: FleetReport = {
      connected: clients.filter((c) => c.connected).length,
      connects,
      rssMb: process.memoryUsage().rss / 1024 / 1024,
    };
    const key = `${r.connected}/${r.connects}`;
    if (key !== last) process.send?.(r);
    last = key;
  };
  const timer = setInterval(report, 500);
  process.on('message', async (m) => {
    if (m !== 'end') return;
    clearInterval(timer);
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    process.exit(0);
  });
  for (const [i, [id, password]] of share.boxes.entries()) {
    clients.push(box(id, password, share.ports, i, () => connects++));
    // Keep at most `atOnce` log-ins waiting, as a county's boxes coming up would not all be at one instant.
    while (clients.length - connects > share.atOnce) await new Promise((r) => setTimeout(r, 20));
  }
}

process.once('message', (share: FleetShare) => void run(share));
