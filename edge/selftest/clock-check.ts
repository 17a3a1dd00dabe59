/** The box's clock against the gateway's (its /health time): evidence times must hold up. */
export async function checkClock(apiUrl: string, toleranceMs = 2000): Promise<string> {
  const t0 = Date.now();
  const res = await fetch(new URL('/health', apiUrl), { signal: AbortSignal.timeout(5000) });
  const t1 = Date.now();
  const body = (await res.json()) as { time?: string };
  const theirs = body.time ? Date.parse(body.time) : Date.parse(res.headers.get('date') ?? '');
  if (!Number.isFinite(theirs)) throw new Error(`${apiUrl}/health gave no time`);
  // Their clock was read about halfway through the round trip.
  const offset = (t0 + t1) / 2 - theirs;
  const s = (Math.abs(offset) / 1000).toFixed(1);
  if (Math.abs(offset) > toleranceMs)
    throw new Error(
      `clock is ${s} s ${offset > 0 ? 'ahead of' : 'behind'} the gateway: turn on NTP (timedatectl set-ntp true) or set the time`,
    );
  return `within ${s} s of the gateway`;
}
