// Loaded with `node --import`: writes every module URL the process resolves to $RW_MODULE_LOG,
// so a test can see what a command loads (hooks run on their own thread; appending is safe).
import { register } from 'node:module';

register(new URL('./record-modules-hooks.mjs', import.meta.url), { data: { log: process.env.RW_MODULE_LOG } });
