import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { CommissionOpts } from './commission-command.ts';

export function registerCommissionCli(program: Command, _logger: (cmd: Command) => Logger): void {
  const c = program
    .command('commission')
    .description(
      'set up a new box: identity and credential, place and GPS, hardware (auto-probe), donor; register it and write edge.yaml',
    )
    .option('--id <id>', 'device id, e.g. lc-liangshui-0007 (asked if missing)')
    .option('--name <name>', 'place name shown to people (default: township village crossing)')
    .option('--township <name>', '乡镇')
    .option('--village <name>', '村')
    .option('--crossing <name>', 'crossing or village entrance')
    .option('--road <name>', 'road file (一路一档)')
    .option('--lat <deg>', 'latitude, WGS-84')
    .option('--lon <deg>', 'longitude, WGS-84')
    .option('--gps <spec>', 'read the position from an NMEA GPS: nmea:/dev/ttyUSB2[?baud=9600]')
    .option('--gps-timeout <seconds>', 'wait this long for a good fix', '120')
    .option('--probe', 'find the light controller and MP3 module on the serial ports (common bauds, slave ids 1–16)')
    .option('--probe-ports <list>', 'probe only these ports, comma-separated (default: every serial port)')
    .option(
      '--probe-timeout <ms>',
      'how long each probe waits for an answer (cheap controllers answer in 10–50 ms; raise it on a slow converter)',
      '150',
    )
    .option('--light <spec>', 'modbus:/dev/ttyUSB0?unit=1&channels=4 (instead of probing)')
    .option('--speaker <spec>', 'mp3:/dev/ttyUSB1')
    .option('--sensor <spec>', 'firmata:/dev/ttyACM0?pin=2&active=low&pullup=1')
    .option('--camera <spec>', 'http://user:pass@host/snapshot.jpg (the password goes to the .env file) or dir:/path')
    .option('--no-vision', 'with a camera: do not recognise on the box (the camera only takes evidence)')
    .option('--donor <name>', 'who paid for the light (一灯一带 / 慈善+交安)')
    .option('--donor-anonymous', 'show the donor as anonymous (匿名) on the public donor wall')
    .option('--donor-amount <yuan>', 'amount given (kept in the registry, not shown publicly)')
    .option('--donor-date <YYYY-MM-DD>', 'date of the gift')
    .option('--donor-thanks <text>', 'public thank-you text')
    .option('--gateway <url>', 'MQTT URL of the county gateway as the box reaches it', 'mqtt://127.0.0.1:1883')
    .option('--api <url>', 'HTTP API of the gateway, e.g. http://gateway:8080 (registers the box now)')
    .option('--token <token>', 'your API token (or $RW_TOKEN); role technician or admin')
    .option('--technician <name>', "your token's name: signs an offline registration file")
    .option('--offline', 'do not contact the gateway: write a signed registration file to upload later')
    .option('--replace', 'this id already exists: replace the old box (its credential stops working)')
    .option('--out <file>', 'where to write the box configuration', 'edge.yaml')
    .option('--data-dir <dir>', "the box's data directory (outbox, voice clips)", '/var/lib/roadwarden')
    .option(
      '--ota-key <file>',
      "the county's update public key (ota-update.pub): the box then takes signed agent updates from the centre",
    )
    .option('--interactive', 'ask for what is missing even when stdin is not a terminal')
    .option('--no-interactive', 'never ask; fail on what is missing')
    .option('--json', 'print only a JSON summary')
    .addHelpText(
      'after',
      '\nExample (at the roadside, with the gateway reachable):\n  roadwarden commission --id lc-liangshui-0007 --township 梁水镇 --village 李庄 --crossing 李庄路口 \\\n    --gps nmea:/dev/ttyUSB2 --probe --sensor firmata:/dev/ttyACM0?pin=2 --donor 聊城爱心车队 \\\n    --gateway mqtt://10.1.2.3:1883 --api http://10.1.2.3:8080 --token $RW_TOKEN --technician tech-li',
    )
    .enablePositionalOptions()
    .action(async (o: CommissionOpts) => (await import('./commission-command.ts')).commission(o));

  c.command('upload <file>')
    .description('upload a registration file written offline (signed with a technician token)')
    .requiredOption('--api <url>', 'HTTP API of the gateway')
    .option('--token <token>', 'your API token (or $RW_TOKEN)')
    .option('--replace', 'replace an existing box with this id')
    .action(async (file: string, o: { api: string; token?: string; replace?: boolean }) => {
      if (!existsSync(file)) throw new Error(`no file ${file}`);
      const token = o.token ?? process.env.RW_TOKEN;
      if (!token) throw new Error('uploading needs an API token: --token or RW_TOKEN');
      const res = await fetch(new URL(`/api/v1/devices/registrations${o.replace ? '?replace=true' : ''}`, o.api), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: readFileSync(file, 'utf8'),
      });
      const body = (await res.json()) as { id?: string; signedBy?: string; message?: string };
      if (res.status !== 201) throw new Error(`gateway refused ${file} (${res.status}): ${body.message}`);
      process.stdout.write(`registered ${body.id} (signed by ${body.signedBy}); the device credential works now\n`);
    });
}
