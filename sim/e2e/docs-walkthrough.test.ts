import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../testing/free-ports.ts';
import { BIN } from '../testing/gateway-process.ts';
import { until } from '../testing/until.ts';

const DOC = fileURLToPath(new URL('../../docs/technician/commissioning.md', import.meta.url));
const text = readFileSync(DOC, 'utf8');
/** The page's shell blocks, in order, each as its commands (continuation lines joined). */
const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
  m[1]!
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim()),
);
/** A command the prose shows inline, found by how it starts. */
const inline = (starts: string): string => {
  const escaped = starts.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`\`((?:npx )?${escaped}[^\`]*)\``).exec(text);
  if (!m) throw new Error(`the page no longer shows \`${starts}…\``);
  return m[1]!;
};
/** The output block right after the shell block that holds `cmd`. */
const outputAfter = (cmd: string): string[] => {
  const at = text.indexOf(cmd);
  const m = /```sh\n[\s\S]*?```\n```\n([\s\S]*?)```/.exec(text.slice(text.lastIndexOf('```sh', at)));
  return m ? m[1]!.split('\n').filter(Boolean) : [];
};
const ULID = /\b[0-9A-HJKMNP-TV-Z]{26}\b/g;
/** A line as the page shows it and as a run prints it: timings, ids and byte counts differ. */
const shape = (l: string) =>
  l
    .replace(/\(\d+(\.\d+)? ms\)/g, '(… ms)')
    .replace(ULID, '<id>')
    .replace(/\d+ bytes/g, '… bytes')
    .replace(/volume \d+/, 'volume …')
    .trimEnd();

interface Run {
  code: number | null;
  out: string;
}

/**
 * Every command of docs/technician/commissioning.md, as the page writes it, in a fresh folder: the
 * ports it names mapped to free ones, `npx roadwarden` to this checkout, the simulator's ttys in a
 * folder of the test's own. What the page shows as output must be what comes out.
 */
describe('docs/technician/commissioning.md, command by command', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-docs-walk-'));
  const ptys = join(dir, 'tty');
  const env: NodeJS.ProcessEnv = { ...process.env, RW_LOG_DIR: join(dir, 'logs') };
  const running: ChildProcess[] = [];
  const ports = new Map<string, string>();
  let sim: ChildProcess;
  let simOut = '';

  /** The page's command, made runnable here. */
  const local = (cmd: string): string => {
    let c = cmd
      .replace(/\s+#\s.*$/, '')
      .replace(/^export RW_TOKEN=.*$/, '')
      .replace(/(^|\s)(?:npx )?roadwarden\b/g, `$1"${process.execPath}" "${BIN}"`);
    for (const [doc, here] of ports) c = c.replaceAll(`:${doc}`, `:${here}`).replaceAll(`port ${doc}`, `port ${here}`);
    c = c.replace(/--(mqtt|http|camera)-port (\d+)/g, (_m, k: string, p: string) => `--${k}-port ${ports.get(p) ?? p}`);
    return c.replaceAll('/tmp/roadwarden-sim', ptys);
  };
  const sh = (cmd: string): Promise<Run> =>
    new Promise((resolve) => {
      const p = spawn('bash', ['-c', local(cmd)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d: Buffer) => (out += d));
      p.stderr!.on('data', (d: Buffer) => (out += d));
      p.once('exit', (code) => resolve({ code, out }));
    });
  /** A long-running command of the page ("terminal 1"), resolved once it prints `ready`. */
  const background = (cmd: string, ready: RegExp, stdin = false): Promise<ChildProcess> =>
    new Promise((resolve, reject) => {
      const p = spawn('bash', ['-c', `exec ${local(cmd)}`], {
        cwd: dir,
        env,
        stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      running.push(p);
      let out = '';
      const seen = (d: Buffer) => {
        out += d;
        if (p === sim) simOut += d;
        if (ready.test(out)) resolve(p);
      };
      p.stdout!.on('data', seen);
      p.stderr!.on('data', seen);
      p.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`)));
      if (stdin) sim = p;
    });
  const typeInSimulator = async (line: string) => {
    const before = simOut.length;
    sim.stdin!.write(`${line}\n`);
    await until(() => simOut.length > before, 5000, `the simulator's answer to ${line}`);
  };

  beforeAll(async () => {
    const [mqtt, http, camera] = await freePorts(3);
    ports.set('1884', String(mqtt)).set('8080', String(http)).set('8088', String(camera));
  });
  afterAll(() => {
    for (const p of running) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the set-up, commissioning and self-test blocks run and print what the page shows', async () => {
    const [setup, commission, selftest] = blocks;
    expect(setup).toHaveLength(3);
    await background(setup![0]!, /HTTP API on port/);
    const token = await sh(setup![1]!);
    expect(token.code, token.out).toBe(0);
    env.RW_TOKEN = token.out.trim().split(/\s+/).at(-1);
    expect(env.RW_TOKEN).toMatch(/^rw_/);
    await background(`${setup![2]!.replace(/\s+#\s.*$/, '')} --pty-dir ${ptys}`, /camera\s+http/, true);

    expect(commission![0]).toMatch(/^export RW_TOKEN=/);
    const c = await sh(commission![1]!);
    expect(c.code, c.out).toBe(0);
    const printed = c.out.split('\n').map(shape);
    for (const line of outputAfter(commission![1]!).map(shape))
      expect(printed, `the page shows "${line}"`).toContain(local(line));

    const s = await sh(selftest![0]!);
    expect(s.code, s.out).toBe(0);
    // Each check the page lists passes here too, by device and name.
    const checks = (lines: string[]) =>
      lines.flatMap((l) => {
        const m = /^(PASS|FAIL)\s+(\S+)\s+(.+?)\s{2,}/.exec(l);
        return m ? [`${m[1]} ${m[2]} ${m[3]}`] : [];
      });
    expect(checks(s.out.split('\n')), s.out).toEqual(checks(outputAfter(selftest![0]!)));
    expect(s.out).toMatch(/self-test PASSED: every check \(12\)/);
  });

  it('a lamp burns out in service: the ticket opens, 销号 is refused until the repair and a passing self-test', async () => {
    await background(inline('roadwarden edge --config'), /edge agent started/);
    await typeInSimulator('burn 2');
    await typeInSimulator('sensor on');
    const list = blocks[3]![0]!;
    expect(list).toBe('npx roadwarden gateway tickets list');
    let ticket = '';
    await until(
      async () => {
        // Another vehicle, if the first passed before the agent was watching.
        await typeInSimulator('sensor off');
        await new Promise((r) => setTimeout(r, 300));
        await typeInSimulator('sensor on');
        const r = await sh(list);
        ticket = r.out.split('\n').find((l) => l.includes('lamp_fault')) ?? '';
        return !!ticket;
      },
      30_000,
      'the lamp_fault ticket listed',
    );
    const shown = outputAfter(list)[0]!.split('\t');
    const got = ticket.split('\t');
    expect(got.slice(1, 5)).toEqual(shown.slice(1, 5));
    expect(got.at(-1)).toBe(shown.at(-1));
    const id = got[0]!;
    const close = inline('roadwarden gateway tickets close').replace(ULID, id);
    const refused = await sh(close);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/passing self-test after the repair/);
    const before = await sh(blocks[2]![0]!);
    expect(before.code).toBe(1);
    expect(before.out).toMatch(/FAIL\s+light\s+channel 2 lamp lights\s+channel 2: lamp open circuit/);
    await typeInSimulator('fix 2');
    await typeInSimulator('sensor off');
    const after = await sh(blocks[2]![0]!);
    expect(after.code, after.out).toBe(0);
    const closed = await sh(close);
    expect(closed.code, closed.out).toBe(0);
    expect(closed.out).toMatch(new RegExp(`ticket ${id} .* closed by 李师傅`));
    const summary = await sh(inline('roadwarden gateway tickets summary'));
    expect(summary.out).toMatch(/梁水镇\s+team unassigned: opened 1, closed 1, open at end of day 0 \(lamp_fault×1\)/);
    const donors = (await (await fetch(`http://127.0.0.1:${ports.get('8080')}/donors.json`)).json()) as unknown[];
    expect(donors).toEqual([
      expect.objectContaining({ donor: '聊城爱心车队', place: '梁水镇 李庄 李庄路口', date: '2026-11-20' }),
    ]);
  });
});
