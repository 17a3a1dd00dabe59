import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { CheckResult, SelfTestTargets } from './self-test.ts';

interface TestOpts {
  light?: string;
  speaker?: string;
  sensor?: string;
  camera?: string;
  clip: string;
  sensorWait: string;
  snapshot?: string;
  json?: boolean;
}

function printResult(r: CheckResult, json: boolean, formatCheck: (r: CheckResult) => string): void {
  if (json) return void process.stdout.write(`${JSON.stringify(r)}\n`);
  process.stdout.write(`${formatCheck(r)}\n`);
}

export function registerHardwareCli(program: Command, logger: (cmd: Command) => Logger): void {
  const hw = program.command('hw').description('work with the real hardware of a roadside box');

  hw.command('list')
    .description('list serial ports (USB–RS-485 adapters, Arduino boards)')
    .option('--json', 'one JSON object per port')
    .action(async (o: { json?: boolean }) => {
      const { listSerialPorts } = await import('./serial/port-list.ts');
      const ports = await listSerialPorts();
      if (o.json) for (const p of ports) process.stdout.write(`${JSON.stringify(p)}\n`);
      else if (!ports.length) process.stdout.write('no serial ports found\n');
      else
        for (const p of ports)
          process.stdout.write(
            `${p.path}\t${[p.manufacturer, p.vendorId && `${p.vendorId}:${p.productId}`].filter(Boolean).join(' ')}\n`,
          );
    });

  hw.command('test')
    .description('self-test devices on the spot: prints PASS/FAIL per check, exits 1 if any fail')
    .option('--light <spec>', 'modbus:/dev/ttyUSB0[?unit=1&channels=4&baud=9600] or firmata:/dev/ttyACM0?pins=12,13')
    .option('--speaker <spec>', 'mp3:/dev/ttyUSB1[?baud=9600]')
    .option('--sensor <spec>', 'firmata:/dev/ttyACM0?pin=2[&active=low&pullup=1]')
    .option('--camera <spec>', 'http://user:pass@host/snapshot.jpg or dir:/path/to/images')
    .option('--clip <n>', 'track played as the speaker test', '1')
    .option('--sensor-wait <seconds>', 'wait this long for a hand trigger of the sensor (0 = skip)', '0')
    .option('--snapshot <file>', 'save the camera test frame to this file')
    .option('--json', 'one JSON object per check')
    .addHelpText(
      'after',
      '\nExample (against `roadwarden sim hw --pty`):\n  roadwarden hw test --light modbus:/tmp/roadwarden-sim/light --speaker mp3:/tmp/roadwarden-sim/speaker',
    )
    .action(async (o: TestOpts, cmd: Command) => {
      const log = logger(cmd);
      const [{ DeviceFactory }, spec, { formatCheck, runSelfTest }] = await Promise.all([
        import('./device-factory.ts'),
        import('./device-spec.ts'),
        import('./self-test.ts'),
      ]);
      const { parseCameraSpec, parseLightSpec, parseSensorSpec, parseSpeakerSpec } = spec;
      const factory = new DeviceFactory({ logger: log });
      const t: SelfTestTargets = {};
      if (o.light) t.light = factory.light(parseLightSpec(o.light));
      if (o.speaker) t.speaker = factory.speaker(parseSpeakerSpec(o.speaker));
      if (o.sensor) t.sensor = factory.sensor(parseSensorSpec(o.sensor));
      if (o.camera) t.camera = factory.camera(parseCameraSpec(o.camera));
      if (!Object.keys(t).length)
        throw new Error('name at least one device: --light, --speaker, --sensor or --camera (see --help)');
      const clip = Number(o.clip);
      const results = await runSelfTest(t, {
        testClip: clip,
        sensorWaitMs: Number(o.sensorWait) * 1000,
        snapshotPath: o.snapshot,
        onResult: (r) => printResult(r, o.json === true, formatCheck),
      });
      await Promise.all([t.light?.stop(), t.speaker?.stop(), t.sensor?.stop(), t.camera?.stop()]);
      await factory.stop();
      const failed = results.filter((r) => !r.ok).length;
      if (!o.json)
        process.stdout.write(
          failed ? `${failed} of ${results.length} checks FAILED\n` : `all ${results.length} checks passed\n`,
        );
      process.exitCode = failed ? 1 : 0;
    });
}
