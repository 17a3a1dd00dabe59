import type { Transform } from 'node:stream';
import { NO_FAULTS, type LineFaults } from '../faults/faults.ts';
import type { SerialDeviceModel } from '../devices/serial-device.ts';

export interface DeviceServerStats {
  framesIn: number;
  /** Frames sent at another line speed than the device's: it hears noise and stays silent. */
  baudMismatch: number;
  framesOut: number;
  dropped: number;
  corrupted: number;
}

/** The device end of a line: a SerialLine on a pty, or anything that moves bytes both ways. */
export interface ByteLine {
  write(bytes: Uint8Array): Promise<void> | unknown;
  on(event: 'data', listener: (d: Buffer) => void): unknown;
  off(event: 'data', listener: (d: Buffer) => void): unknown;
}

/**
 * Puts a simulated device on a byte stream (a pty end opened with serialport, or a mock port):
 * frames in through the device's framer, replies out, with the line faults applied on the way.
 */
export class DeviceServer {
  readonly faults: LineFaults = { ...NO_FAULTS };
  readonly stats: DeviceServerStats = { framesIn: 0, baudMismatch: 0, framesOut: 0, dropped: 0, corrupted: 0 };
  private readonly framer: Transform;
  private readonly onSend = (frame: Buffer) => this.send(frame);
  private readonly onData = (d: Buffer) => this.framer.write(d);
  private readonly timers = new Set<NodeJS.Timeout>();
  private inbound: Promise<void> = Promise.resolve();

  /** `peerSpeed`, when given, reads the driver's line speed: frames sent at another speed are not understood. */
  constructor(
    readonly device: SerialDeviceModel,
    private readonly port: ByteLine,
    readonly baudRate = 9600,
    private readonly random: () => number = Math.random,
    private readonly peerSpeed?: () => Promise<number | undefined>,
  ) {
    this.framer = device.createFramer(baudRate);
    port.on('data', this.onData);
    this.framer.on('data', (f: Buffer) => {
      this.stats.framesIn++;
      if (!peerSpeed) return device.receive(f);
      // In order: each frame waits for the speed check of the one before.
      this.inbound = this.inbound.then(async () => {
        const speed = await peerSpeed();
        if (speed !== undefined && speed !== baudRate) this.stats.baudMismatch++;
        else device.receive(f);
      });
    });
    device.on('send', this.onSend);
  }

  setFaults(f: Partial<LineFaults>): void {
    Object.assign(this.faults, f);
  }

  clearFaults(): void {
    Object.assign(this.faults, NO_FAULTS);
  }

  close(): void {
    this.device.off('send', this.onSend);
    this.port.off('data', this.onData);
    this.framer.destroy();
    for (const t of this.timers) clearTimeout(t);
  }

  private send(frame: Buffer): void {
    if (this.faults.dropReplies > 0 && this.random() < this.faults.dropReplies) {
      this.stats.dropped++;
      return;
    }
    let out = frame;
    if (this.faults.corruptReplies > 0 && this.random() < this.faults.corruptReplies) {
      out = Buffer.from(frame);
      // The last bytes are the CRC (Modbus) or checksum+end (MP3): damage the check itself.
      out[out.length - 2] ^= 0x01;
      this.stats.corrupted++;
    }
    const write = () => {
      this.stats.framesOut++;
      // A pty that is being unplugged refuses writes; the device just talks into the void then.
      const put = (bytes: Uint8Array) => void Promise.resolve(this.port.write(bytes)).catch(() => undefined);
      if (!this.peerSpeed) return put(out);
      // Heard at the wrong speed, every byte arrives as something else.
      void this.peerSpeed().then((speed) =>
        put(speed !== undefined && speed !== this.baudRate ? out.map((b) => (b * 37 + 101) & 0xff) : out),
      );
    };
    if (this.faults.replyDelayMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        write();
      }, this.faults.replyDelayMs);
      this.timers.add(t);
    } else write();
  }
}
