import type { Command } from 'commander';
import { withData, type DataOpts } from '../cli-options.ts';

/** `gateway archive import`: the vehicle archive from a CSV, checked line by line first. */
export function registerArchiveCli(gw: Command): void {
  withData(
    gw
      .command('archive')
      .description('三见面一建档: vehicles, owners and drivers on file')
      .command('import <file>')
      .description(
        'check a CSV (plate,class,owner_name,owner_phone,driver_name,township,village) and, with --commit, import it',
      ),
  )
    .option('--commit', 'write it (only when every row is valid)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: DataOpts & { commit?: boolean; json?: boolean }) => {
      const { readFileSync } = await import('node:fs');
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { Archive } = await import('./archive-store.ts');
      await withAdminDb(o, o.commit ? 'write' : 'read', async (sql) => {
        const r = await new Archive(sql).importCsv(readFileSync(file, 'utf8'), o.commit === true);
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else {
          for (const p of r.problems) process.stdout.write(`line ${p.line}: ${p.errors.join('; ')}\n`);
          process.stdout.write(
            `${r.rows} rows, ${r.valid} valid${r.committed ? `; imported: ${r.added} added, ${r.updated} updated` : r.problems.length ? '; nothing imported' : '; dry run, add --commit to import'}\n`,
          );
        }
        if (r.problems.length) process.exitCode = 1;
      });
    });
}
