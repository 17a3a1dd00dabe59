/** The roadside box's agent: local rules, schedules, commands, the durable outbox and the MQTT link. */
export * from './agent.ts';
export * from './config/schema.ts';
export * from './config/load-config.ts';
export * from './outbox.ts';
export * from './mqtt-link.ts';
export * from './actuators.ts';
export * from './rules/rule-engine.ts';
export * from './rules/quiet-hours.ts';
export * from './schedule/scheduler.ts';
export * from './commands/command-handler.ts';
export * from './commands/voice-store.ts';
export * from './telemetry.ts';
export * from './vision/plate-reader.ts';
export * from './vision/text-detector.ts';
export * from './vision/plate-finder.ts';
export * from './selftest/box-self-test.ts';
export * from './selftest/report.ts';
