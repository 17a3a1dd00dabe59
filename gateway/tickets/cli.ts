import type { Command } from 'commander';
import { withData, type DataOpts } from '../cli-options.ts';

/** `gateway tickets list|close|summary`: fault tickets from the database. */
export function registerTicketCli(gw: Command): void {
  const tickets = gw
    .command('tickets')
    .description(
      'fault tickets (故障工单) of the boxes: opened from telemetry, closed (销号) after a passing self-test',
    );
  withData(tickets.command('list').description('open tickets (or all with --all), newest first'))
    .option('--all', 'closed ones too')
    .option('--township <name>', 'only this township')
    .option('--json', 'one JSON object per line')
    .action(async (o: DataOpts & { all?: boolean; township?: string; json?: boolean }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { TicketStore } = await import('./ticket-store.ts');
      const { SYSTEM } = await import('../access/viewer.ts');
      const { createIdGenerator } = await import('../../protocols/index.ts');
      await withAdminDb(o, 'read', async (sql) => {
        const list = await new TicketStore(sql, createIdGenerator()).list(SYSTEM, {
          open: o.all ? undefined : true,
          township: o.township,
          limit: 500,
        });
        for (const t of list) {
          process.stdout.write(
            o.json
              ? `${JSON.stringify(t)}\n`
              : `${t.id}\t${t.deviceId}\t${t.kind}\t${t.township ?? ''}\t${t.team ?? 'unassigned'}\t${t.closedAt ? `closed ${t.closedAt} by ${t.closedBy}` : t.clearedAt ? 'fault cleared, awaiting 销号' : `open since ${t.openedAt}`}\t${t.detail ?? ''}\n`,
          );
        }
        if (!list.length && !o.json) process.stdout.write('no tickets\n');
      });
    });
  withData(
    tickets
      .command('close <id>')
      .description(
        '销号: close a ticket with a note; refused without a passing self-test after the fault was last seen',
      ),
  )
    .requiredOption('--note <text>', 'what was found and what was repaired')
    .option('--by <name>', 'who closes it (default: $RW_TECHNICIAN, then $USER)')
    .action(async (id: string, o: DataOpts & { note: string; by?: string }) => {
      const by = o.by ?? process.env.RW_TECHNICIAN ?? process.env.USER;
      if (!by) throw new Error('say who closes the ticket: --by <name>');
      const { withAdminDb } = await import('../store/admin-db.ts');
      const [{ TicketStore }, { FaultWatcher }, { DeviceStore }, { SelfTests }, { createIdGenerator }] =
        await Promise.all([
          import('./ticket-store.ts'),
          import('./fault-watcher.ts'),
          import('../devices/device-store.ts'),
          import('../devices/selftest-store.ts'),
          import('../../protocols/index.ts'),
        ]);
      await withAdminDb(o, 'write', async (sql) => {
        // The same rule as the dashboard's button: the watcher refuses without a note or a passing self-test.
        const faults = new FaultWatcher({
          store: new TicketStore(sql, createIdGenerator()),
          registry: new DeviceStore(sql),
          selftests: new SelfTests(sql),
        });
        const t = await faults.close(id, by, o.note);
        process.stdout.write(`ticket ${t.id} (${t.deviceId}, ${t.kind}) closed by ${t.closedBy} at ${t.closedAt}\n`);
      });
    });
  withData(
    tickets
      .command('summary')
      .description('the daily summary per township: opened, closed, open at the end of the day'),
  )
    .option('--day <YYYY-MM-DD>', 'which day (default today, UTC+08:00)')
    .option('--utc-offset <±hh:mm>', 'day boundaries', '+08:00')
    .option('--json', 'print the summary as JSON')
    .action(async (o: DataOpts & { day?: string; utcOffset: string; json?: boolean }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { TicketStore } = await import('./ticket-store.ts');
      const { createIdGenerator } = await import('../../protocols/index.ts');
      await withAdminDb(o, 'read', async (sql) => {
        const s = await new TicketStore(sql, createIdGenerator()).daySummary(o.day, o.utcOffset);
        if (o.json) return void process.stdout.write(`${JSON.stringify(s)}\n`);
        process.stdout.write(`fault tickets on ${s.day} (UTC${o.utcOffset})\n`);
        if (!s.townships.length) process.stdout.write('  none\n');
        for (const t of s.townships) {
          const kinds = Object.entries(t.openedByKind)
            .map(([k, n]) => `${k}×${n}`)
            .join(', ');
          process.stdout.write(
            `  ${(t.township || '(no township)').padEnd(10)} team ${t.team ?? 'unassigned'}: opened ${t.opened}, closed ${t.closed}, open at end of day ${t.openAtEnd}${kinds ? ` (${kinds})` : ''}\n`,
          );
        }
      });
    });
}
