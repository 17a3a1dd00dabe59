import type { BrokerAuthStats } from '../broker/broker-auth.ts';
import type { IntakeStats } from '../intake/intake.ts';

export interface MetricsSources {
  intakeStats(): IntakeStats | undefined;
  brokerStats(): BrokerAuthStats | undefined;
  devicesOnline(): number;
  casesOpen(): number;
}

/** Prometheus text exposition of the gateway's counters and gauges. */
export function prometheusText(s: MetricsSources): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number, labels = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
  };
  const i = s.intakeStats();
  metric('rw_intake_received_total', 'counter', 'Device messages received', i?.received ?? 0);
  metric('rw_intake_stored_total', 'counter', 'Device messages stored', i?.stored ?? 0);
  metric('rw_intake_duplicates_total', 'counter', 'Re-sent messages folded into one', i?.duplicates ?? 0);
  metric('rw_intake_dead_letters_total', 'counter', 'Messages refused and kept in dead letters', i?.deadLetters ?? 0);
  const b = s.brokerStats();
  metric('rw_broker_auth_refused_total', 'counter', 'Connections refused for bad credentials', b?.authRefused ?? 0);
  metric('rw_broker_auth_throttled_total', 'counter', 'Connections refused while a name or address was locked after failed log-ins', b?.authThrottled ?? 0);
  metric('rw_broker_publish_denied_total', 'counter', 'Publishes refused by the topic ACL', b?.publishDenied ?? 0);
  metric('rw_broker_subscribe_denied_total', 'counter', 'Subscriptions refused by the topic ACL', b?.subscribeDenied ?? 0);
  metric('rw_broker_forward_withheld_total', 'counter', 'Messages withheld from a subscriber outside its role or scope', b?.forwardWithheld ?? 0);
  metric('rw_devices_online', 'gauge', 'Devices whose last status is online', s.devicesOnline());
  metric('rw_cases_open', 'gauge', 'Cases not yet closed', s.casesOpen());
  return `${lines.join('\n')}\n`;
}
