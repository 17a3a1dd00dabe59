import type { EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';

/**
 * A simulated serial device: frames in (split by its own framer), frames out. Emits 'send'
 * (Buffer) for every frame it puts on the line, replies and unsolicited reports alike.
 */
export interface SerialDeviceModel extends EventEmitter {
  readonly kind: string;
  createFramer(baudRate: number): Transform;
  receive(frame: Buffer): void;
}
