import type { GatewayConfig } from './schema.ts';

export type BrokerType = 'embedded' | 'external' | 'rabbitmq';

/** gateway.yaml's `broker.rabbitmq`. */
export type RabbitConfig = NonNullable<NonNullable<GatewayConfig['broker']>['rabbitmq']>;

/** Which broker the gateway uses: `broker.type`, else external when `broker.url` is set. */
export const brokerType = (c: GatewayConfig): BrokerType => c.broker?.type ?? (c.broker?.url ? 'external' : 'embedded');

/** What gateway.yaml must say for its broker type, as problems a technician can fix. */
export function checkBroker(c: GatewayConfig, problems: string[]): void {
  const type = brokerType(c);
  const b = c.broker;
  if (type === 'external' && !b?.url) problems.push('broker.url: required when broker.type is external');
  if (type !== 'external' && b?.url) problems.push(`broker.url: only for broker.type external (this is ${type})`);
  if (type === 'rabbitmq' && !b?.rabbitmq) problems.push('broker.rabbitmq: required when broker.type is rabbitmq');
  if (type !== 'rabbitmq' && b?.rabbitmq) problems.push('broker.rabbitmq: only for broker.type rabbitmq');
}
