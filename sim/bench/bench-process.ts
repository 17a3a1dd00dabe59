import { type ChildProcess, fork } from 'node:child_process';

/**
 * A bench's helper process beside this file (`name` without extension): the compiled file in an
 * installed release, the source through tsx in a checkout. IPC for its job and report; stdout is
 * left out unless `stdout` (bench output is JSON lines, one per metric).
 */
export function forkBenchProcess(name: string, o: { stdout?: boolean } = {}): ChildProcess {
  const compiled = benchCompiled();
  return fork(new URL(`./${name}${compiled ? '.js' : '.ts'}`, import.meta.url), [], {
    execArgv: compiled ? [] : ['--import', 'tsx'],
    stdio: ['ignore', o.stdout ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
}

/** Whether bench processes run compiled (an installed release) rather than through tsx. */
export const benchCompiled = () => import.meta.url.endsWith('.js');
