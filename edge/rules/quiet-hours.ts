/** "22:00"–"06:00" style windows in a given time zone; the window may wrap midnight. */
export function minutesOfDay(at: Date, timeZone?: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return get('hour') * 60 + get('minute');
}

const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inWindow(at: Date, from: string, to: string, timeZone?: string): boolean {
  const m = minutesOfDay(at, timeZone);
  const a = toMin(from);
  const b = toMin(to);
  return a <= b ? m >= a && m < b : m >= a || m < b;
}
