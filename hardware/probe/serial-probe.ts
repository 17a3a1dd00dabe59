import { mp3 } from '../../protocols/index.ts';
import { ModbusMaster } from '../modbus/modbus-master.ts';
import { SerialLine, type SerialBinding } from '../serial/serial-line.ts';

export interface ProbeFinding {
  port: string;
  device: 'modbus-light' | 'mp3';
  baudRate: number;
  unit?: number;
  channels?: number;
  /** How the channel count was learnt: the controller said so, or the usual 4 was assumed. */
  channelsFrom?: 'register' | 'assumed';
  /** The device spec for `hw test` and edge.yaml. */
  spec: string;
}

export interface ProbeAttempt {
  port: string;
  device: 'modbus-light' | 'mp3';
  baudRate: number;
  unit?: number;
}

export interface ProbeOptions {
  /** Tried in this order; the documented defaults first. */
  bauds?: number[];
  /** Modbus slave ids to try at each baud. */
  units?: number[];
  /** Per attempt; cheap controllers answer in 10–50 ms at 9600 baud. */
  timeoutMs?: number;
  binding?: SerialBinding;
  onAttempt?: (a: ProbeAttempt) => void;
}

export const PROBE_BAUDS = [9600, 19200, 4800, 38400, 115200, 2400, 57600];
export const PROBE_UNITS = Array.from({ length: 16 }, (_, i) => i + 1);
const MP3_ANSWER_MS = 500;

/**
 * Find what is on a serial port: a DFPlayer-type MP3 module (answers a status query) or a Modbus
 * RTU light controller (answers a coil read, or refuses it with an exception — either proves it is
 * there), trying the common bauds and slave ids. Resolves undefined when nothing answers.
 */
export async function probeSerialPort(port: string, o: ProbeOptions = {}): Promise<ProbeFinding | undefined> {
  for (const baudRate of o.bauds ?? PROBE_BAUDS) {
    const line = new SerialLine({
      path: port,
      baudRate,
      binding: o.binding,
      reconnectMinMs: 60_000,
      reconnectMaxMs: 60_000,
    });
    try {
      await line.start();
      if (!line.isOpen) await line.waitOpen(1000);
      o.onAttempt?.({ port, device: 'mp3', baudRate });
      // One query per baud, so it can wait longer: DFPlayer-type modules take up to a few hundred ms to answer.
      if (await answersMp3(line, Math.max(o.timeoutMs ?? 150, MP3_ANSWER_MS)))
        return { port, device: 'mp3', baudRate, spec: `mp3:${port}${baudRate === 9600 ? '' : `?baud=${baudRate}`}` };
      const found = await findModbusUnit(line, o);
      if (found) return found;
    } catch {
      return undefined; // the port cannot be opened at all: nothing more to learn at other bauds
    } finally {
      await line.stop();
    }
  }
  return undefined;
}

/** Probe several ports at once (each port is its own bus). */
export async function probeSerialPorts(ports: string[], o: ProbeOptions = {}): Promise<ProbeFinding[]> {
  const found = await Promise.all(ports.map((p) => probeSerialPort(p, o)));
  return found.filter((f): f is ProbeFinding => f !== undefined);
}

async function findModbusUnit(line: SerialLine, o: ProbeOptions): Promise<ProbeFinding | undefined> {
  const master = new ModbusMaster(line, { timeoutMs: o.timeoutMs ?? 150, retries: 0 });
  try {
    for (const unit of o.units ?? PROBE_UNITS) {
      o.onAttempt?.({ port: line.path, device: 'modbus-light', baudRate: line.baudRate, unit });
      const there = await master.request(unit, { fc: 0x01, address: 0, quantity: 1 }).then(
        () => true,
        (e: { code?: string }) => e.code === 'device_exception',
      );
      if (!there) continue;
      const channels = await channelCount(master, unit);
      const q = new URLSearchParams();
      if (unit !== 1) q.set('unit', String(unit));
      if (line.baudRate !== 9600) q.set('baud', String(line.baudRate));
      q.set('channels', String(channels ?? 4));
      return {
        port: line.path,
        device: 'modbus-light',
        baudRate: line.baudRate,
        unit,
        channels: channels ?? 4,
        channelsFrom: channels ? 'register' : 'assumed',
        spec: `modbus:${line.path}?${q}`,
      };
    }
    return undefined;
  } finally {
    master.close();
  }
}

/** Controllers of our protocol family report their channel count in holding register 1; others may not. */
async function channelCount(master: ModbusMaster, unit: number): Promise<number | undefined> {
  const r = await master.request(unit, { fc: 0x03, address: 1, quantity: 1 }).catch(() => undefined);
  const n = r && 'values' in r ? r.values[0] : undefined;
  return n !== undefined && n >= 1 && n <= 64 ? n : undefined;
}

function answersMp3(line: SerialLine, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const splitter = new mp3.Mp3FrameSplitter();
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      line.off('data', onData);
      resolve(ok);
    };
    const onData = (d: Buffer) => {
      for (const f of splitter.push(d)) {
        const r = mp3.decodeMp3(f);
        if (r.ok && (r.value.cmd === mp3.Mp3Cmd.queryStatus || r.value.cmd === mp3.Mp3Cmd.error)) return finish(true);
      }
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    line.on('data', onData);
    void line.write(mp3.mp3Frames.queryStatus()).catch(() => finish(false));
  });
}
