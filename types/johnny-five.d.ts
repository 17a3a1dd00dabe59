// The small part of johnny-five 2.x and firmata-io that roadwarden uses (neither ships types).
declare module 'johnny-five' {
  import { EventEmitter } from 'node:events';

  export interface BoardOptions {
    io?: unknown;
    port?: string;
    repl?: boolean;
    debug?: boolean;
    timeout?: number;
  }
  export class Board extends EventEmitter {
    constructor(opts?: BoardOptions);
    readonly io: unknown;
    isReady: boolean;
  }
  export class Led extends EventEmitter {
    constructor(opts: { pin: number | string; board?: Board });
    on(): this;
    off(): this;
    stop(): this;
    readonly isOn: boolean;
    readonly value: number;
  }
  export class Sensor extends EventEmitter {
    constructor(opts: { pin: number | string; type?: 'digital' | 'analog'; board?: Board; freq?: number });
    readonly value: number;
    disable(): void;
  }
  const five: { Board: typeof Board; Led: typeof Led; Sensor: typeof Sensor };
  export default five;
}

declare module 'firmata-io' {
  import { EventEmitter } from 'node:events';
  export interface FirmataTransport extends EventEmitter {
    write(data: Buffer, cb?: (err?: Error | null) => void): unknown;
  }
  export class Firmata extends EventEmitter {
    constructor(transport: FirmataTransport, options?: { reportVersionTimeout?: number; skipCapabilities?: boolean });
    isReady: boolean;
    pins: Array<{ mode?: number; value?: number; state?: number; report?: number; supportedModes: number[] }>;
    MODES: Record<string, number>;
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: 0 | 1): void;
    digitalRead(pin: number, cb: (value: number) => void): void;
    /** Ask the board to report the pin's port (it answers at once with the current values). */
    reportDigitalPin(pin: number, value: 0 | 1): void;
    queryPinState(pin: number, cb: () => void): void;
    reset(): void;
    reportVersion(cb: () => void): void;
    queryFirmware(cb: () => void): void;
    versionReceived: boolean;
    /** the frame being parsed (firmata.js clears it after each whole frame) */
    buffer: number[];
  }
  const bind: { Firmata: typeof Firmata };
  export default bind;
}
