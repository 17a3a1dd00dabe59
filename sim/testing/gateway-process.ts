import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/roadwarden.js', import.meta.url));

export interface GatewayProcess {
  proc: ChildProcess;
  /** The embedded or external broker's MQTT port; on RabbitMQ, the gateway's auth backend port. */
  mqttPort: number;
  httpPort: number;
}

/**
 * `roadwarden gateway …` in its own process (as operators run it), resolved once it says it listens;
 * `bin` another install's `bin/roadwarden.js` (a release, an older version).
 */
export function spawnGateway(args: string[], bin = BIN): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, '--log-level', 'warn', 'gateway', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d));
    proc.stdout!.on('data', (d: Buffer) => {
      // "MQTT on port N" (embedded), "MQTT via mqtt://host:N" (an external broker) or RabbitMQ's auth port.
      const m =
        /gateway: (?:MQTT (?:on port |via \S+:)|RabbitMQ at .* auth backend (?:on port |elsewhere))(\d*).*HTTP API on port (\d+)/.exec(
          d.toString(),
        );
      if (m) resolve({ proc, mqttPort: Number(m[1]), httpPort: Number(m[2]) });
    });
    proc.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${err}`)));
  });
}

/** `roadwarden gateway rabbitmq-auth …` in its own process, resolved with its port once it listens. */
export function spawnRabbitAuth(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, '--log-level', 'warn', 'gateway', 'rabbitmq-auth', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d));
    proc.stdout!.on('data', (d: Buffer) => {
      const m = /rabbitmq-auth: listening on port (\d+)/.exec(d.toString());
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (code) => reject(new Error(`rabbitmq-auth exited ${code}: ${err}`)));
  });
}

/** The arguments of a gateway process on fixed ports (a restart keeps them) with this config (if any) and data dir. */
export const gatewayArgs = (
  config: string | undefined,
  mqttPort: number,
  httpPort: number,
  dataDir: string,
): string[] => [
  ...(config ? ['--config', config] : []),
  '--mqtt-port',
  String(mqttPort),
  '--http-port',
  String(httpPort),
  '--data-dir',
  dataDir,
];

/** `roadwarden gateway device add` for each box, as an administrator runs it (the password on stdin). */
export async function addDevices(
  dataDir: string,
  boxes: Array<{ id: string; password: string }>,
  bin = BIN,
): Promise<void> {
  for (const b of boxes)
    await new Promise<void>((resolve, reject) => {
      const p = spawn(
        process.execPath,
        [bin, 'gateway', 'device', 'add', '--id', b.id, '--password-stdin', '--data-dir', dataDir],
        { stdio: ['pipe', 'ignore', 'pipe'] },
      );
      let err = '';
      p.stderr!.on('data', (d: Buffer) => (err += d));
      p.stdin!.end(`${b.password}\n`);
      p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`device add ${b.id}: ${err}`))));
    });
}
