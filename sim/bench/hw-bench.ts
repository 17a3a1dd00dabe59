import { modbus } from '../../protocols/index.ts';
import { ModbusLight, SerialLine } from '../../hardware/index.ts';
import { VirtualModbusLight } from '../devices/virtual-modbus-light.ts';
import { PtyPair } from '../serial/pty-pair.ts';
import { serveOnTty } from '../serial/serve.ts';
import { rssMb, summary, value, type BenchLine } from './report.ts';

export interface HwBenchOptions {
  frames?: number;
  flashes?: number;
  onProgress?: (msg: string) => void;
}

/** A byte stream like a bad RS-485 line: replies interleaved with noise, cut frames and bad CRCs. */
export function noisyModbusStream(frames: number, seed = 1): { bytes: Buffer; good: number } {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const parts: Buffer[] = [];
  let good = 0;
  for (let i = 0; i < frames; i++) {
    const f = modbus.encodeResponse(1 + (i % 8), { fc: 0x03, values: [i & 0xffff, (i * 7) & 0xffff, 0x1234] });
    const r = rnd();
    if (r < 0.05)
      parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * 256))));
    if (r > 0.97) {
      const bad = Buffer.from(f);
      bad[4] ^= 0x40;
      parts.push(bad);
      continue;
    }
    if (r > 0.94) {
      parts.push(f.subarray(0, 5));
      continue;
    }
    parts.push(f);
    good++;
  }
  return { bytes: Buffer.concat(parts), good };
}

function benchFramer(frames: number): BenchLine {
  const { bytes, good } = noisyModbusStream(frames);
  const runs: number[] = [];
  let decoded = 0;
  for (let run = 0; run < 7; run++) {
    const splitter = new modbus.ModbusFrameSplitter({ role: 'response' });
    const t0 = performance.now();
    let n = 0;
    // Chunks of 32 bytes, as a UART/USB adapter hands them over.
    for (let off = 0; off < bytes.length; off += 32) n += splitter.push(bytes.subarray(off, off + 32), 0).length;
    n += splitter.silence().length;
    runs.push(n / ((performance.now() - t0) / 1000));
    decoded = n;
  }
  runs.sort((a, b) => a - b);
  return value('hw', 'modbus_frames_per_s', 'frames/s', runs[Math.floor(runs.length / 2)], {
    frames_in_stream: frames,
    intact_frames: good,
    decoded,
    stream_bytes: bytes.length,
    runs: runs.length,
  });
}

async function benchFlashLatency(flashes: number, progress?: (m: string) => void): Promise<BenchLine> {
  const pair = await PtyPair.create('bench-light');
  const device = new VirtualModbusLight({ channels: 4 });
  const served = await serveOnTty(device, pair.devicePath);
  const light = new ModbusLight(new SerialLine({ path: pair.driverPath }), { channelCount: 4, verifyFlash: false });
  try {
    await light.start();
    const samples: number[] = [];
    for (let i = 0; i < flashes; i++) {
      let t0 = 0;
      const arrived = new Promise<number>((resolve) => served.line.once('data', () => resolve(performance.now() - t0)));
      t0 = performance.now();
      const done = light.flash({ periodMs: 1000, duty: 0.5 });
      samples.push(await arrived);
      await done;
      await light.off();
      if (i % 50 === 49) progress?.(`flash latency: ${i + 1}/${flashes}`);
    }
    return summary('hw', 'flash_to_tty_ms', 'ms', samples, { transport: 'pty', baud: 9600 });
  } finally {
    await light.stop();
    await served.close();
    await pair.close();
  }
}

export async function runHwBench(opts: HwBenchOptions = {}): Promise<BenchLine[]> {
  const lines = [benchFramer(opts.frames ?? 100_000)];
  opts.onProgress?.('framer done');
  lines.push(await benchFlashLatency(opts.flashes ?? 300, opts.onProgress));
  lines.push(value('hw', 'rss_mb', 'MB', rssMb()));
  return lines;
}
