import type { Command } from 'commander';
import type { Logger } from 'pino';
import { untilSignal } from '../../bin/cli-context.ts';

export function registerStoryCli(sim: Command, logger: (cmd: Command) => Logger): void {
  sim
    .command('story')
    .description("a simulated box and a technician's self-test story against it: all pass, faults caught, repaired")
    .option('--once', 'exit after the story instead of leaving the simulator running')
    .option('--pty-dir <dir>', 'where the simulated ttys appear', '/tmp/roadwarden-sim')
    .action(async (o: { once?: boolean; ptyDir: string }, cmd: Command) => {
      const log = logger(cmd);
      const { playSelfTestStory } = await import('./self-test-story.ts');
      const { sim, endpoints, acts } = await playSelfTestStory({ ptyDir: o.ptyDir, logger: log });
      const [first, broken, repaired] = acts;
      const storyHolds = first.every((r) => r.ok) && broken.some((r) => !r.ok) && repaired.every((r) => r.ok);
      if (!storyHolds) {
        process.stdout.write('\nThe story did not go as expected: see the FAIL lines above.\n');
        process.exitCode = 1;
      }
      if (o.once) {
        await sim.stop();
        return;
      }
      const args = Object.entries(endpoints)
        .map(([k, v]) => `--${k} '${v}'`)
        .join(' ');
      process.stdout.write(
        `\nThe simulated box keeps running. In another terminal try:\n  npx roadwarden hw test ${args}\nCtrl-C stops it.\n`,
      );
      await untilSignal();
      await sim.stop();
    });
}
