import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDir, makePrivateDir, mosquittoHash } from '../../protocols/index.ts';
import { CredentialStore, GATEWAY_USER } from '../access/credential-store.ts';
import type { DataOpts } from '../cli-options.ts';
import { loadGatewayConfig } from '../config/load-config.ts';
import { withAdminDb } from '../store/admin-db.ts';
import { DEFAULT_PACKET_LIMITS, largestPublish } from './packet-limits.ts';
import { mosquittoFiles } from './mosquitto-config.ts';

/** Write mosquitto.conf, passwords and acl for the county's accounts; what `broker-config` does. */
export async function writeMosquittoConfig(o: DataOpts & { out: string; listen: string; user?: string }) {
  const config = o.config ? loadGatewayConfig(o.config) : {};
  const m = /^(.+):(\d{1,5})$/.exec(o.listen);
  if (!m) throw new Error(`--listen ${o.listen}: expected host:port, e.g. 127.0.0.1:1883`);
  const username = config.broker?.username ?? GATEWAY_USER;
  const password = config.broker?.password;
  if (!password)
    throw new Error(
      `the gateway needs its own password on Mosquitto: set broker.username and broker.password (write \${MQTT_PASSWORD}) in gateway.yaml and give --config`,
    );
  const accounts = await withAdminDb(o, 'read', (sql) => new CredentialStore(sql).brokerHashes());
  const dir = resolve(o.out);
  const limits = { ...DEFAULT_PACKET_LIMITS, ...config.broker?.limits };
  const files = mosquittoFiles({
    dir,
    host: m[1]!,
    port: Number(m[2]),
    gateway: { username, hash: mosquittoHash(password) },
    accounts: accounts.filter((a) => a.username !== username),
    maxPacketBytes: largestPublish(limits),
    user: o.user,
    at: new Date(),
  });
  makePrivateDir(dir);
  makeDir(join(dir, 'data'));
  for (const f of ['mosquitto.conf', 'passwords', 'acl'] as const)
    writeFileSync(join(dir, f), files[f], { mode: 0o600 });
  return {
    dir,
    gateway: username,
    boxes: accounts.filter((a) => a.kind === 'device' && a.hash).length,
    missing: files.missing,
  };
}
