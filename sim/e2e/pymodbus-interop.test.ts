import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusLight, SerialLine } from '../../hardware/index.ts';
import { VirtualModbusLight } from '../devices/virtual-modbus-light.ts';
import { PtyPair } from '../serial/pty-pair.ts';
import { serveOnTty } from '../serial/serve.ts';

// Debian's python3-pymodbus installs for the system interpreter, not a pyenv one first on PATH.
const PYTHON = '/usr/bin/python3';
const script = (name: string) => fileURLToPath(new URL(`../interop/${name}`, import.meta.url));
const run = promisify(execFile);

describe('interop with pymodbus (a Modbus stack nobody here wrote)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('has pymodbus installed (.ci/run installs python3-pymodbus)', async () => {
    expect(existsSync(PYTHON)).toBe(true);
    const { stdout } = await run(PYTHON, ['-c', 'import pymodbus; print(pymodbus.__version__)']);
    expect(stdout.trim()).toMatch(/^3\./);
  });

  it('pymodbus as master drives our virtual controller, and both agree', async () => {
    const pair = await PtyPair.create('pm');
    cleanups.push(() => pair.close());
    const device = new VirtualModbusLight({ unit: 7, channels: 8 });
    const served = await serveOnTty(device, pair.devicePath);
    cleanups.push(() => served.close());

    const { stdout } = await run(PYTHON, [script('pymodbus_master.py'), pair.driverPath, '7'], { timeout: 15_000 });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.after_write_coils).toEqual([true, false, true, false]);
    expect(out.after_write_coil).toEqual([true, true, true, false]);
    expect(device.coils.slice(0, 4)).toEqual([true, true, true, false]);
    // Register 0 is the firmware version, 1 the channel count.
    expect(out.registers).toEqual([0x0102, 8]);
    expect(out.illegal_address_exception).toBe(2);
  });

  it('our light driver drives pymodbus as slave, and reads back what pymodbus holds', async () => {
    const pair = await PtyPair.create('ps');
    cleanups.push(() => pair.close());
    const slave = spawn(PYTHON, [script('pymodbus_slave.py'), pair.devicePath, '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      slave.kill('SIGKILL');
    });
    let err = '';
    slave.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`pymodbus slave did not start: ${err}`)), 10_000);
      slave.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });

    const light = new ModbusLight(new SerialLine({ path: pair.driverPath }), {
      unit: 3,
      channelCount: 4,
      timeoutMs: 500,
    });
    cleanups.push(() => light.stop());
    await light.start();
    expect(light.health.value.state).toBe('ok');
    await light.on({ channels: [2, 4] });
    const lamps = await light.readLamps();
    expect(lamps.map((l) => l.lamp)).toEqual(['unknown', 'ok', 'unknown', 'ok']);
    const coils = await light.master.request(3, { fc: 0x01, address: 0, quantity: 4 });
    expect('bits' in coils && coils.bits.slice(0, 4)).toEqual([false, true, false, true]);

    await light.master.request(3, { fc: 0x10, address: 4, values: [1234, 65535] });
    const regs = await light.master.request(3, { fc: 0x03, address: 4, quantity: 2 });
    expect(regs).toEqual({ fc: 0x03, values: [1234, 65535] });
    await light.master.request(3, { fc: 0x06, address: 5, value: 42 });
    const reg5 = await light.master.request(3, { fc: 0x03, address: 5, quantity: 1 });
    expect(reg5).toEqual({ fc: 0x03, values: [42] });
    // pymodbus answers an out-of-range read with exception 02, which we surface as a typed error.
    await expect(light.master.request(3, { fc: 0x03, address: 100, quantity: 1 })).rejects.toMatchObject({
      code: 'device_exception',
    });
  });
});
