/** Simulators of every piece of hardware, over the same real paths real devices use. Only tests and the CLI import this. */
export * from './devices/serial-device.ts';
export * from './devices/virtual-modbus-light.ts';
export * from './devices/virtual-mp3-module.ts';
export * from './devices/virtual-firmata-board.ts';
export * from './devices/virtual-camera.ts';
export * from './faults/faults.ts';
export * from './serial/pty-pair.ts';
export * from './serial/device-server.ts';
export * from './serial/serve.ts';
export * from './serial/mock-binding.ts';
export * from './hw-sim.ts';
export * from './testing/until.ts';
export * from './testing/aedes-broker.ts';
