// Child process for the kill -9 durability test: appends messages and reports each committed one.
import { Outbox } from '../outbox.ts';

const [path, count] = process.argv.slice(2);
const box = new Outbox({ path });
for (let i = 0; i < Number(count); i++) {
  const id = `msg-${String(i).padStart(6, '0')}`;
  box.append({ id, topic: `rw/v1/box/event/presence`, payload: Buffer.from(JSON.stringify({ i })), cls: 'event' });
  process.stdout.write(`${id}\n`);
}
