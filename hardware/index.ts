/** Drivers behind small interfaces. Knows no MQTT. */
export * from './errors.ts';
export * from './health.ts';
export * from './serial/serial-line.ts';
export * from './modbus/modbus-master.ts';
export * from './light/light.ts';
export * from './light/modbus-light.ts';
export * from './speaker/speaker.ts';
export * from './speaker/mp3-speaker.ts';
