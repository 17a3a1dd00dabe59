import type { Gateway } from '../gateway.ts';

/** Prometheus text exposition of the gateway's counters and gauges. */
export function prometheusText(gw: Gateway): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number, labels = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
  };
  const i = gw.intake?.stats;
  metric('rw_intake_received_total', 'counter', 'Device messages received', i?.received ?? 0);
  metric('rw_intake_stored_total', 'counter', 'Device messages stored', i?.stored ?? 0);
  metric('rw_intake_duplicates_total', 'counter', 'Re-sent messages folded into one', i?.duplicates ?? 0);
  metric('rw_intake_dead_letters_total', 'counter', 'Messages refused and kept in dead letters', i?.deadLetters ?? 0);
  const b = gw.broker?.stats;
  metric('rw_broker_auth_refused_total', 'counter', 'Connections refused for bad credentials', b?.authRefused ?? 0);
  metric('rw_broker_publish_denied_total', 'counter', 'Publishes refused by the topic ACL', b?.publishDenied ?? 0);
  metric('rw_broker_subscribe_denied_total', 'counter', 'Subscriptions refused by the topic ACL', b?.subscribeDenied ?? 0);
  const count = (sql: string) => (gw.db.prepare(sql).get() as { n: number }).n;
  metric('rw_devices_online', 'gauge', 'Devices whose last status is online', count("SELECT count(*) AS n FROM devices WHERE state = 'online'"));
  metric('rw_cases_open', 'gauge', 'Cases not yet closed', count('SELECT count(*) AS n FROM cases WHERE closed_at IS NULL'));
  return `${lines.join('\n')}\n`;
}
