import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/roadwarden.js', import.meta.url));

export interface GatewayProcess {
  proc: ChildProcess;
  mqttPort: number;
  httpPort: number;
}

/** `roadwarden gateway …` in its own process (as operators run it), resolved once it says it listens. */
export function spawnGateway(args: string[]): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, '--log-level', 'warn', 'gateway', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d));
    proc.stdout!.on('data', (d: Buffer) => {
      // "MQTT on port N" (embedded) or "MQTT via mqtt://host:N" (an external broker).
      const m = /gateway: MQTT (?:on port |via \S+:)(\d+).*HTTP API on port (\d+)/.exec(d.toString());
      if (m) resolve({ proc, mqttPort: Number(m[1]), httpPort: Number(m[2]) });
    });
    proc.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${err}`)));
  });
}
