/** The contract every other part uses: topics, messages, serial frame codecs. Imports nothing of ours. */
export * from './result.ts';
export * from './ids.ts';
export * from './topics.ts';
export * from './topic-filter.ts';
export * from './messages/index.ts';
export * as modbus from './modbus/index.ts';
export * as mp3 from './mp3/index.ts';
export * from './plate.ts';
export * from './evidence-image.ts';
export * from './http-digest.ts';
export * from './schema-errors.ts';
export * from './yaml-config.ts';
export * from './make-dir.ts';
export * from './password-hash.ts';
export * from './registration.ts';
export * from './nmea.ts';
export * from './face-embedding.ts';
export type * from './dashboard-api.ts';
