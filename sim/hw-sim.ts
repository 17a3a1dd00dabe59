import type { Logger } from 'pino';
import { SERIAL_DEFAULTS } from '../hardware/index.ts';
import { VirtualCamera } from './devices/virtual-camera.ts';
import { VirtualFirmataBoard } from './devices/virtual-firmata-board.ts';
import { VirtualModbusLight } from './devices/virtual-modbus-light.ts';
import { VirtualMp3Module } from './devices/virtual-mp3-module.ts';
import { VirtualGps } from './devices/virtual-gps.ts';
import type { SerialDeviceModel } from './devices/serial-device.ts';
import { parseFaultSpec } from './faults/faults.ts';
import { PtyPair } from './serial/pty-pair.ts';
import { serveOnTty, type ServedDevice } from './serial/serve.ts';

export interface HwSimOptions {
  /** Create pty pairs for devices given no tty, under `ptyDir`. */
  pty?: boolean;
  ptyDir?: string;
  light?: { tty?: string; unit?: number; channels?: number; baudRate?: number } | false;
  speaker?: { tty?: string; baudRate?: number } | false;
  sensor?: { tty?: string; pin?: number; baudRate?: number } | false;
  camera?: { host?: string; port?: number; dir?: string } | false;
  /** An NMEA GPS receiver (off unless asked for). */
  gps?: { tty?: string; lat: number; lon: number; baudRate?: number; acquireMs?: number } | false;
  /**
   * Devices on pty pairs the simulator made understand only a driver at their own baud, as a real
   * UART would (the driver's line speed is read from its tty). Costs an `stty` per frame, so it is opt-in.
   */
  strictBaud?: boolean;
  logger?: Logger;
}

/** Where drivers find the simulated devices, in the spec syntax `roadwarden hw test` takes. */
export interface SimEndpoints {
  light?: string;
  speaker?: string;
  sensor?: string;
  camera?: string;
  gps?: string;
}

interface SerialSim<D extends SerialDeviceModel> {
  device: D;
  served: ServedDevice;
  pair?: PtyPair;
}

/**
 * The whole hardware of one roadside box, simulated over real paths: a Modbus light controller,
 * an MP3 module and a Firmata board (with a presence sensor) on ttys, and an IP camera over HTTP.
 * `control()` takes the commands a tester types (faults, burnt lamps, unplugging, the sensor).
 */
export class HardwareSimulator {
  light?: SerialSim<VirtualModbusLight>;
  speaker?: SerialSim<VirtualMp3Module>;
  board?: SerialSim<VirtualFirmataBoard> & { pin: number };
  camera?: VirtualCamera;
  gps?: SerialSim<VirtualGps>;
  readonly endpoints: SimEndpoints = {};
  /** Driver-side tty of each serial device, for configs that take a bare port path. */
  readonly ttys: { light?: string; speaker?: string; sensor?: string; gps?: string } = {};
  private readonly log: Logger | undefined;

  constructor(private readonly opts: HwSimOptions) {
    this.log = opts.logger;
  }

  async start(): Promise<SimEndpoints> {
    const o = this.opts;
    if (o.light !== false) {
      const l = o.light ?? {};
      const device = new VirtualModbusLight({ unit: l.unit ?? SERIAL_DEFAULTS.modbusUnit, channels: l.channels ?? 4 });
      this.light = await this.serve('light', device, l.tty, l.baudRate ?? SERIAL_DEFAULTS.modbusBaud);
      const q = new URLSearchParams();
      if (device.unit !== SERIAL_DEFAULTS.modbusUnit) q.set('unit', String(device.unit));
      if (l.baudRate && l.baudRate !== SERIAL_DEFAULTS.modbusBaud) q.set('baud', String(l.baudRate));
      q.set('channels', String(device.coils.length));
      this.ttys.light = this.path(this.light, l.tty);
      this.endpoints.light = `modbus:${this.ttys.light}?${q}`;
      device.on('coils', (c: { coils: boolean[] }) =>
        this.log?.debug({ device: 'light', coils: c.coils.map((b) => (b ? '●' : '○')).join('') }, 'light outputs'),
      );
    }
    if (o.speaker !== false) {
      const s = o.speaker ?? {};
      const device = new VirtualMp3Module();
      this.speaker = await this.serve('speaker', device, s.tty, s.baudRate ?? SERIAL_DEFAULTS.mp3Baud);
      this.ttys.speaker = this.path(this.speaker, s.tty);
      this.endpoints.speaker = `mp3:${this.ttys.speaker}`;
      device.on('play', (p: { track: number; volume: number }) =>
        this.log?.info({ device: 'speaker', track: p.track, volume: p.volume }, 'speaker plays clip'),
      );
    }
    if (o.sensor !== false) {
      const s = o.sensor ?? {};
      const device = new VirtualFirmataBoard();
      const sim = await this.serve('sensor', device, s.tty, s.baudRate ?? SERIAL_DEFAULTS.firmataBaud);
      this.board = { ...sim, pin: s.pin ?? 2 };
      this.ttys.sensor = this.path(sim, s.tty);
      this.endpoints.sensor = `firmata:${this.ttys.sensor}?pin=${this.board.pin}`;
    }
    if (o.gps) {
      const g = o.gps;
      const baud = g.baudRate ?? 9600;
      this.gps = await this.serve(
        'gps',
        new VirtualGps({ lat: g.lat, lon: g.lon, acquireMs: g.acquireMs }),
        g.tty,
        baud,
      );
      this.ttys.gps = this.path(this.gps, g.tty);
      this.endpoints.gps = `nmea:${this.ttys.gps}${baud === 9600 ? '' : `?baud=${baud}`}`;
    }
    if (o.camera !== false) {
      const c = o.camera ?? {};
      this.camera = new VirtualCamera({ host: c.host, port: c.port, dir: c.dir });
      await this.camera.start();
      this.endpoints.camera = this.camera.url;
    }
    return this.endpoints;
  }

  async stop(): Promise<void> {
    this.gps?.device.close();
    for (const s of [this.light, this.speaker, this.board, this.gps]) {
      if (!s) continue;
      await s.served.close();
      await s.pair?.close();
    }
    this.speaker?.device.close();
    await this.camera?.stop();
  }

  /** Apply one tester command; returns what happened, or throws with how to say it right. */
  async control(line: string): Promise<string> {
    const [cmd, ...args] = line.trim().split(/\s+/);
    const target = args[0];
    switch (cmd) {
      case 'fault': {
        const sim = this.serialSim(target);
        sim.served.server.setFaults(parseFaultSpec(args[1] ?? ''));
        return `${target}: faults ${JSON.stringify(sim.served.server.faults)}`;
      }
      case 'clear':
        this.serialSim(target).served.server.clearFaults();
        return `${target}: faults cleared`;
      case 'burn':
      case 'fix': {
        const ch = Number(target);
        if (!this.light || !Number.isInteger(ch) || ch < 1 || ch > this.light.device.coils.length)
          throw new Error('usage: burn|fix <channel>');
        this.light.device.burnOut(ch, cmd === 'burn');
        return `light channel ${ch}: lamp ${cmd === 'burn' ? 'burnt out' : 'replaced'}`;
      }
      case 'unplug':
      case 'replug': {
        const sim = this.serialSim(target);
        if (!sim.pair) throw new Error(`${target} is on a tty the simulator did not create; unplug it by hand`);
        await (cmd === 'unplug' ? sim.pair.unplug() : sim.pair.replug());
        return `${target}: ${cmd}ged`;
      }
      case 'sensor': {
        if (!this.board || (target !== 'on' && target !== 'off')) throw new Error('usage: sensor on|off');
        this.board.device.setInput(this.board.pin, target === 'on');
        return `sensor pin ${this.board.pin}: ${target === 'on' ? 'vehicle present' : 'clear'}`;
      }
      case 'camera': {
        if (!this.camera) throw new Error('no camera simulated');
        const f = this.camera.faults;
        if (target === 'dead') f.dead = true;
        else if (target === 'truncate') f.truncate = true;
        else if (target?.startsWith('slow=')) f.delayMs = Number(target.slice(5));
        else if (target === 'ok') Object.assign(f, { dead: false, truncate: false, delayMs: 0 });
        else throw new Error('usage: camera dead|truncate|slow=MS|ok');
        return `camera: ${JSON.stringify(f)}`;
      }
      case 'gps': {
        if (!this.gps || target !== 'cold') throw new Error('usage: gps cold (needs --gps)');
        this.gps.device.coldStart();
        return 'gps: cold start, acquiring satellites';
      }
      case 'state':
        return JSON.stringify(this.state());
      default:
        throw new Error(
          'commands: fault <light|speaker|sensor> drop[=p],corrupt[=p],delay=ms · clear <dev> · burn|fix <ch> · unplug|replug <dev> · sensor on|off · camera dead|truncate|slow=MS|ok · gps cold · state',
        );
    }
  }

  state(): Record<string, unknown> {
    return {
      light: this.light && {
        coils: this.light.device.coils,
        burnt: [...this.light.device.burnt],
        requests: this.light.device.requests,
      },
      speaker: this.speaker && {
        playing: this.speaker.device.playing ?? null,
        volume: this.speaker.device.volume,
        plays: this.speaker.device.plays.length,
      },
      sensor: this.board && { pin: this.board.pin, value: this.board.device.values[this.board.pin] },
      camera: this.camera && { served: this.camera.served, faults: this.camera.faults },
    };
  }

  private serialSim(name: string | undefined): SerialSim<SerialDeviceModel> {
    const sim =
      name === 'light' ? this.light : name === 'speaker' ? this.speaker : name === 'sensor' ? this.board : undefined;
    if (!sim) throw new Error(`unknown or absent device "${name ?? ''}" (light, speaker, sensor)`);
    return sim;
  }

  private path(sim: SerialSim<SerialDeviceModel>, tty?: string): string {
    return tty ?? sim.pair!.driverPath;
  }

  private async serve<D extends SerialDeviceModel>(
    name: string,
    device: D,
    tty: string | undefined,
    baudRate: number,
  ): Promise<SerialSim<D>> {
    let pair: PtyPair | undefined;
    let path = tty;
    if (!path) {
      if (!this.opts.pty)
        throw new Error(
          `no tty given for the ${name}; pass --${name === 'sensor' ? 'sensor-firmata' : name} TTY or --pty`,
        );
      pair = await PtyPair.create(name, this.opts.ptyDir);
      path = pair.devicePath;
    }
    const served = await serveOnTty(
      device,
      path,
      baudRate,
      this.log?.child({ sim: name }),
      this.opts.strictBaud ? pair?.driverPath : undefined,
    );
    if (device instanceof VirtualFirmataBoard) device.announce();
    return { device, served, pair };
  }
}
