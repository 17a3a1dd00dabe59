import type { Logger } from 'pino';
import { SerialLine } from '../../hardware/index.ts';
import type { SerialDeviceModel } from '../devices/serial-device.ts';
import { DeviceServer } from './device-server.ts';

export interface ServedDevice {
  server: DeviceServer;
  line: SerialLine;
  close(): Promise<void>;
}

/** Serve a simulated device on an existing tty (one end of a pty pair, or a real serial port). */
export async function serveOnTty(device: SerialDeviceModel, path: string, baudRate = 9600, logger?: Logger): Promise<ServedDevice> {
  // The sim reopens its end too, so an unplug/replug of the pair heals on both sides.
  const line = new SerialLine({ path, baudRate, reconnectMinMs: 50, reconnectMaxMs: 500, logger });
  const server = new DeviceServer(device, line, baudRate);
  await line.start();
  if (!line.isOpen) await line.waitOpen(3000);
  return {
    server,
    line,
    close: async () => {
      server.close();
      await line.stop();
    },
  };
}
