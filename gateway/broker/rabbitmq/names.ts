/**
 * How RabbitMQ's MQTT adapter (3.10) maps topics: `/` ↔ `.` and `+` ↔ `*` in routing keys, so an
 * MQTT topic that itself holds a dot cannot come back as it was — device ids with dots do not work
 * on RabbitMQ (the auth backend refuses them, saying so).
 */
export const mqttToRoutingKey = (topic: string): string => topic.replaceAll('/', '.').replaceAll('+', '*');
export const routingKeyToMqtt = (key: string): string => key.replaceAll('.', '/').replaceAll('*', '+');

/** Where the MQTT adapter publishes and binds its subscription queues. */
export const MQTT_EXCHANGE = 'amq.topic';

/** Every exchange and queue the gateway declares starts with this. */
export const OWN_PREFIX = 'roadwarden.';

/** Reports from boxes, hashed by routing key onto the partition queues. */
export const REPORTS_EXCHANGE = `${OWN_PREFIX}reports`;
export const reportQueue = (partition: number): string => `${OWN_PREFIX}reports.${partition}`;

/** The queues the adapter makes for one MQTT client's subscriptions. */
export const mqttQueuesOf = (clientId: string): string[] =>
  [0, 1].map((qos) => `mqtt-subscription-${clientId}qos${qos}`);
