/** What the gateway uses when gateway.yaml says nothing (its own file, so the CLI can show them without loading the schema). */
export const GATEWAY_DEFAULTS = {
  dataDir: './data',
  brokerHost: '127.0.0.1',
  httpHost: '127.0.0.1',
  brokerPort: 1883,
  rabbitmqVhost: '/',
  rabbitmqAuthPort: 8089,
  rabbitmqPartitions: 4,
  rabbitmqPrefetch: 64,
  willGraceSeconds: 60,
  httpPort: 8080,
  evidenceRetentionDays: 90,
  reportsUtcOffsetHours: 8,
} as const;
