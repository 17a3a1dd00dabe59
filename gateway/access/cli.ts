import type { Command } from 'commander';
import {
  readPassword,
  ROLE_NAMES,
  scopeOf,
  withData,
  withPassword,
  type DataOpts,
  type PasswordOpts,
} from '../cli-options.ts';

interface ScopeOpts {
  villages?: string;
  townships?: string;
}

const scopeText = (s: { villages?: string[]; townships?: string[] } | undefined) =>
  [...(s?.townships ?? []), ...(s?.villages ?? [])].join(',') || 'county';

async function role(name: string) {
  const { isRole, ROLES } = await import('./policy.ts');
  if (!isRole(name)) throw new Error(`role "${name}" is unknown (${ROLES.join(', ')})`);
  return name;
}

/** `gateway user …` and `gateway token …`: operator accounts and API tokens. Changes reach a running gateway within a second. */
export function registerAccessCli(gw: Command): void {
  const user = gw
    .command('user')
    .description('operator accounts for people and county systems (MQTT and the dashboard)');
  withPassword(
    withData(
      user
        .command('add')
        .description('add an operator account, or set a new password (ends its sessions and connections)'),
    ),
  )
    .requiredOption('--name <name>', 'user name (also its MQTT client id, or name:suffix)')
    .requiredOption('--role <role>', ROLE_NAMES)
    .option('--villages <list>', 'a village cadre sees only these villages (comma-separated; required for village)')
    .option('--townships <list>', 'a police squad sees only these townships (comma-separated)')
    .action(async (o: DataOpts & PasswordOpts & ScopeOpts & { name: string; role: string }) => {
      const r = await role(o.role);
      const password = readPassword(o);
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { CredentialStore } = await import('./credential-store.ts');
      await withAdminDb(
        o,
        'write',
        async (sql) => await new CredentialStore(sql).addOperator(o.name, password, r, scopeOf(o)),
      );
      process.stdout.write(`operator ${o.name} (${o.role}) added\n`);
    });
  withData(user.command('list').description('operator accounts: name, role, scope'))
    .option('--json', 'one JSON object per line')
    .action(async (o: DataOpts & { json?: boolean }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { CredentialStore } = await import('./credential-store.ts');
      await withAdminDb(o, 'read', async (sql) => {
        for (const r of (await new CredentialStore(sql).list()).filter((x) => x.kind === 'operator')) {
          process.stdout.write(
            o.json ? `${JSON.stringify(r)}\n` : `${r.username}\t${r.role}\t${scopeText(r.scope)}\t${r.createdAt}\n`,
          );
        }
      });
    });
  withData(
    user
      .command('remove')
      .description('remove an operator account: its dashboard sessions and MQTT connections end within a second'),
  )
    .requiredOption('--name <name>', 'user name')
    .action(async (o: DataOpts & { name: string }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { CredentialStore, isReservedName } = await import('./credential-store.ts');
      if (isReservedName(o.name)) throw new Error(`"${o.name}" is the gateway's own account`);
      const removed = await withAdminDb(o, 'read', async (sql) => {
        const creds = new CredentialStore(sql);
        return (await creds.get(o.name))?.kind === 'operator' && (await creds.remove(o.name));
      });
      if (!removed) throw new Error(`no operator ${o.name}`);
      process.stdout.write(`operator ${o.name} removed\n`);
    });

  const token = gw.command('token').description('bearer tokens for the HTTP API');
  withData(
    token
      .command('add')
      .description('issue a token (printed once; only its hash is stored); the same name again replaces it'),
  )
    .requiredOption('--name <name>', 'who or what uses it')
    .requiredOption('--role <role>', ROLE_NAMES)
    .option(
      '--villages <list>',
      'only these villages (comma-separated): a village cadre sees cases at their boxes and of their villagers',
    )
    .option('--townships <list>', 'only these townships (comma-separated): a police squad sees its area')
    .action(async (o: DataOpts & ScopeOpts & { name: string; role: string }) => {
      const r = await role(o.role);
      const { NEEDS_SCOPE } = await import('./policy.ts');
      const needs = NEEDS_SCOPE[r];
      if (needs && !scopeOf(o)[needs]?.length)
        throw new Error(`a ${r} token needs --${needs} (the places it answers for)`);
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { ApiTokens } = await import('./token-store.ts');
      await withAdminDb(o, 'write', async (sql) =>
        process.stdout.write(`${await new ApiTokens(sql).issue(o.name, r, scopeOf(o))}\n`),
      );
    });
  withData(token.command('list').description('tokens: name, role, scope, when issued (never the token)'))
    .option('--json', 'one JSON object per line')
    .action(async (o: DataOpts & { json?: boolean }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { ApiTokens } = await import('./token-store.ts');
      await withAdminDb(o, 'read', async (sql) => {
        for (const t of await new ApiTokens(sql).list())
          process.stdout.write(
            o.json ? `${JSON.stringify(t)}\n` : `${t.name}\t${t.role}\t${scopeText(t.scope)}\t${t.createdAt}\n`,
          );
      });
    });
  withData(
    token
      .command('revoke')
      .description('revoke a token: refused at its next request; registration files it signed are refused too'),
  )
    .requiredOption('--name <name>', 'the token’s name')
    .action(async (o: DataOpts & { name: string }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { ApiTokens } = await import('./token-store.ts');
      if (!(await withAdminDb(o, 'read', async (sql) => await new ApiTokens(sql).revoke(o.name))))
        throw new Error(`no token ${o.name}`);
      process.stdout.write(`token ${o.name} revoked\n`);
    });
}
