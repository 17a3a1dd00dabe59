import { COUNTY_PREFIX, TOPIC_PREFIX } from '../../protocols/index.ts';

export interface MosquittoAccount {
  username: string;
  kind: 'device' | 'operator';
  role: string;
  hash: string | null;
}

export interface MosquittoConfigInput {
  /** Where the files go (absolute): mosquitto.conf names the others by this path. */
  dir: string;
  host: string;
  port: number;
  /** The gateway's own account on this broker, with Mosquitto's hash of its password. */
  gateway: { username: string; hash: string };
  accounts: MosquittoAccount[];
  /** The largest packet a box may send (an evidence image and its header). */
  maxPacketBytes: number;
  /** The system user Mosquitto runs as (it drops to `mosquitto` when started as root otherwise). */
  user?: string;
  at: Date;
}

export interface MosquittoFiles {
  'mosquitto.conf': string;
  passwords: string;
  acl: string;
  /** Boxes left out: the gateway never saw their password (registered with a scrypt hash only). */
  missing: string[];
}

/**
 * A Mosquitto 2.0 set-up for a county gateway on an external broker: durable persistence (saved
 * at every change: the default half-hour autosave lost queued alarms in a crash), queues large
 * enough for a day of a county's reports, the embedded broker's packet limit, no anonymous
 * access, and passwords and topic rights from the gateway's accounts — each box only its own tree,
 * the gateway everything. People's accounts are left out: Mosquitto cannot filter per message by
 * role and scope as the embedded broker does, so people use the dashboard and the API.
 */
export function mosquittoFiles(i: MosquittoConfigInput): MosquittoFiles {
  const boxes = i.accounts.filter((a) => a.kind === 'device');
  const missing = boxes.filter((a) => !a.hash).map((a) => a.username);
  const passwords = [
    `${i.gateway.username}:${i.gateway.hash}`,
    ...boxes.filter((a) => a.hash).map((a) => `${a.username}:${a.hash}`),
  ];
  const conf = [
    `# Mosquitto for the roadwarden county gateway: written by \`roadwarden gateway broker-config\` at ${i.at.toISOString()}.`,
    '# Run it again after adding or removing boxes, then reload the accounts: kill -HUP <mosquitto pid>.',
    ...(i.user ? [`user ${i.user}`] : []),
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${i.dir}/passwords`,
    `acl_file ${i.dir}/acl`,
    `listener ${i.port} ${i.host}`,
    '',
    '# Durable: a queued alarm survives a crash of the broker, not only a clean restart.',
    'persistence true',
    `persistence_location ${i.dir}/data/`,
    'autosave_on_changes true',
    'autosave_interval 1',
    '',
    '# The gateway may be down for a day: its session keeps what the boxes send meanwhile.',
    'persistent_client_expiration 30d',
    'max_queued_messages 1000000',
    'max_queued_bytes 0',
    'max_inflight_messages 100',
    '',
    '# As the embedded broker: nothing larger than an evidence image and its header.',
    `max_packet_size ${i.maxPacketBytes}`,
    'set_tcp_nodelay true',
    '',
  ].join('\n');
  const acl = [
    '# Topic rights, as the embedded broker grants them (gateway/broker/acl.ts).',
    '',
    '# The gateway: every report, commands and desired config to boxes, county notifications.',
    `user ${i.gateway.username}`,
    `topic read ${TOPIC_PREFIX}/#`,
    `topic write ${TOPIC_PREFIX}/+/cmd/+`,
    `topic write ${TOPIC_PREFIX}/+/config`,
    `topic readwrite ${COUNTY_PREFIX}/#`,
    '',
    '# Every box (its user name is its id): its own reports out, its own commands and config in.',
    ...['status', 'telemetry', 'selftest', 'ota', 'event/+', 'evidence/+', 'image/+', 'cmd/+/result'].map(
      (t) => `pattern write ${TOPIC_PREFIX}/%u/${t}`,
    ),
    `pattern read ${TOPIC_PREFIX}/%u/cmd/+`,
    `pattern read ${TOPIC_PREFIX}/%u/config`,
    '',
  ].join('\n');
  return { 'mosquitto.conf': conf, passwords: `${passwords.join('\n')}\n`, acl, missing };
}
