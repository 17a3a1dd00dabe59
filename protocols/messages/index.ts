export * from './envelope.ts';
export * from './health.ts';
export * from './status.ts';
export * from './telemetry.ts';
export * from './event.ts';
export * from './evidence.ts';
export * from './command.ts';
export * from './codec.ts';
