import { readdir } from 'node:fs/promises';
import { SerialPort } from 'serialport';

export interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
}

/** Serial ports on this machine; without udev (containers, minimal images) fall back to /dev names. */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  try {
    return (await SerialPort.list()).map((p) => ({
      path: p.path,
      manufacturer: p.manufacturer,
      vendorId: p.vendorId,
      productId: p.productId,
      serialNumber: p.serialNumber,
    }));
  } catch {
    const names = await readdir('/dev').catch(() => [] as string[]);
    return names
      .filter((n) => /^tty(USB|ACM|AMA|S\d|XRUSB|CH)/.test(n))
      .sort()
      .map((n) => ({ path: `/dev/${n}` }));
  }
}
