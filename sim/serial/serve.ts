import type { Logger } from 'pino';
import { SerialLine } from '../../hardware/index.ts';
import type { SerialDeviceModel } from '../devices/serial-device.ts';
import { DeviceServer } from './device-server.ts';
import { ttySpeed } from './tty-speed.ts';

export interface ServedDevice {
  server: DeviceServer;
  line: SerialLine;
  close(): Promise<void>;
}

/**
 * Serve a simulated device on an existing tty (one end of a pty pair, or a real serial port).
 * With `driverTty` (the other end of a pty pair) the device understands only drivers at its baud.
 */
export async function serveOnTty(
  device: SerialDeviceModel,
  path: string,
  baudRate = 9600,
  logger?: Logger,
  driverTty?: string,
): Promise<ServedDevice> {
  // The sim reopens its end too, so an unplug/replug of the pair heals on both sides.
  const line = new SerialLine({ path, baudRate, reconnectMinMs: 50, reconnectMaxMs: 500, logger });
  const server = new DeviceServer(
    device,
    line,
    baudRate,
    Math.random,
    driverTty ? () => ttySpeed(driverTty) : undefined,
  );
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
