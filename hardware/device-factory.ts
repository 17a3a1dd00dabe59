import type { Logger } from 'pino';
import type { Camera } from './camera/camera.ts';
import { DirectoryCamera } from './camera/directory-camera.ts';
import { HttpSnapshotCamera } from './camera/http-snapshot-camera.ts';
import type { CameraSpec, LightSpec, SensorSpec, SpeakerSpec } from './device-spec.ts';
import { FirmataBoard } from './firmata/firmata-board.ts';
import { FirmataLight } from './firmata/firmata-light.ts';
import { FirmataPresenceSensor } from './firmata/firmata-presence-sensor.ts';
import type { WarningLight } from './light/light.ts';
import { ModbusLight } from './light/modbus-light.ts';
import type { PresenceSensor } from './sensor/presence-sensor.ts';
import { SerialLine, type SerialBinding } from './serial/serial-line.ts';
import { Mp3Speaker } from './speaker/mp3-speaker.ts';
import type { Loudspeaker } from './speaker/speaker.ts';

export interface FactoryOptions {
  logger?: Logger;
  binding?: SerialBinding;
}

/** Documented defaults shared with the simulator: Modbus slave 1 at 9600 8N1, MP3 at 9600, Firmata at 57600. */
export const SERIAL_DEFAULTS = { modbusBaud: 9600, modbusUnit: 1, mp3Baud: 9600, firmataBaud: 57600 } as const;

/**
 * Builds drivers from specs. A light and a sensor on the same Firmata port share one board,
 * so the factory keeps one FirmataBoard per port.
 */
export class DeviceFactory {
  private readonly boards = new Map<string, FirmataBoard>();
  constructor(private readonly opts: FactoryOptions = {}) {}

  private line(port: string, baudRate: number): SerialLine {
    return new SerialLine({ path: port, baudRate, binding: this.opts.binding, logger: this.opts.logger });
  }

  board(port: string, baudRate: number = SERIAL_DEFAULTS.firmataBaud): FirmataBoard {
    let b = this.boards.get(port);
    if (!b) {
      b = new FirmataBoard(this.line(port, baudRate), { logger: this.opts.logger });
      this.boards.set(port, b);
    }
    return b;
  }

  light(spec: LightSpec, name = 'light'): WarningLight {
    if (spec.type === 'firmata')
      return new FirmataLight(this.board(spec.port, spec.baudRate), { name, pins: spec.pins });
    return new ModbusLight(this.line(spec.port, spec.baudRate ?? SERIAL_DEFAULTS.modbusBaud), {
      name,
      unit: spec.unit ?? SERIAL_DEFAULTS.modbusUnit,
      channelCount: spec.channels,
      coilBase: spec.coilBase,
      logger: this.opts.logger,
    });
  }

  speaker(spec: SpeakerSpec, name = 'speaker'): Loudspeaker {
    return new Mp3Speaker(this.line(spec.port, spec.baudRate ?? SERIAL_DEFAULTS.mp3Baud), {
      name,
      logger: this.opts.logger,
    });
  }

  sensor(spec: SensorSpec, name = 'sensor'): PresenceSensor {
    return new FirmataPresenceSensor(this.board(spec.port, spec.baudRate), {
      name,
      pin: spec.pin,
      activeLow: spec.activeLow,
      pullup: spec.pullup,
      debounceMs: spec.debounceMs,
    });
  }

  camera(spec: CameraSpec, name = 'camera'): Camera {
    if (spec.type === 'dir') return new DirectoryCamera({ name, dir: spec.dir, loop: spec.loop });
    return new HttpSnapshotCamera({
      name,
      url: spec.url,
      username: spec.username,
      password: spec.password,
      logger: this.opts.logger,
    });
  }

  async stop(): Promise<void> {
    for (const b of this.boards.values()) await b.stop();
  }
}
