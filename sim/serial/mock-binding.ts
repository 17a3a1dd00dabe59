import { EventEmitter } from 'node:events';
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import type { SerialBinding } from '../../hardware/index.ts';
import type { SerialDeviceModel } from '../devices/serial-device.ts';
import { DeviceServer, type ByteLine } from './device-server.ts';

/** The device end of a mock port: driver writes arrive as 'data', device writes become port data. */
class MockDeviceEnd extends EventEmitter implements ByteLine {
  port: MockPortBinding | undefined;
  write(bytes: Uint8Array): void {
    if (this.port?.isOpen) this.port.emitData(Buffer.from(bytes));
  }
}

/**
 * The simulator's device models on @serialport/binding-mock, for fast unit tests with no tty.
 * Returns the binding to hand to SerialLine, and each path's DeviceServer (to inject faults).
 */
export function mockBindingFor(devices: Record<string, SerialDeviceModel>): {
  binding: SerialBinding;
  servers: Record<string, DeviceServer>;
} {
  MockBinding.reset();
  const ends = new Map<string, MockDeviceEnd>();
  const servers: Record<string, DeviceServer> = {};
  for (const [path, device] of Object.entries(devices)) {
    MockBinding.createPort(path, { echo: false, record: false });
    const end = new MockDeviceEnd();
    ends.set(path, end);
    servers[path] = new DeviceServer(device, end);
  }
  const binding: typeof MockBinding = {
    ...MockBinding,
    async open(options) {
      const port = await MockBinding.open(options);
      const end = ends.get(options.path);
      if (end) end.port = port;
      const write = port.write.bind(port);
      port.write = async (buffer: Buffer) => {
        await write(buffer);
        end?.emit('data', Buffer.from(buffer));
      };
      return port;
    },
  };
  return { binding: binding as unknown as SerialBinding, servers };
}
