/** Drivers behind small interfaces. Knows no MQTT. */
export * from './errors.ts';
export * from './health.ts';
export * from './serial/serial-line.ts';
export * from './modbus/modbus-master.ts';
export * from './light/light.ts';
export * from './light/modbus-light.ts';
export * from './speaker/speaker.ts';
export * from './speaker/mp3-speaker.ts';
export * from './light/light-program.ts';
export * from './sensor/presence-sensor.ts';
export * from './sensor/debouncer.ts';
export * from './firmata/firmata-board.ts';
export * from './firmata/firmata-light.ts';
export * from './firmata/firmata-presence-sensor.ts';
