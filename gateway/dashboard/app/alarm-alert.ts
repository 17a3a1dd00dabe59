import { signal } from '@preact/signals';
import { kindLabel, t } from './i18n.ts';
import type { Alarm } from './types.ts';

const KEY = 'rw-alarm-alert';

/** Chosen by each person on each browser (a duty desk wants it, a phone in a meeting does not). */
export const alertsOn = signal(typeof localStorage !== 'undefined' && localStorage.getItem(KEY) === '1');

let audio: AudioContext | undefined;

/** Called from the click that turns alerts on: browsers let a page make sound only after a gesture. */
export async function setAlerts(on: boolean): Promise<void> {
  alertsOn.value = on;
  localStorage.setItem(KEY, on ? '1' : '0');
  if (!on) return;
  audio ??= new AudioContext();
  await audio.resume().catch(() => undefined);
  if ('Notification' in globalThis && Notification.permission === 'default')
    await Notification.requestPermission().catch(() => undefined);
}

/** Two short tones, as a duty desk's pager would: no sound file to ship or to load. */
function chime(): void {
  audio ??= new AudioContext();
  const at = audio.currentTime;
  for (const [i, hz] of [880, 660].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.25, at + i * 0.25);
    gain.gain.exponentialRampToValueAtTime(0.001, at + i * 0.25 + 0.22);
    osc.connect(gain).connect(audio.destination);
    osc.start(at + i * 0.25);
    osc.stop(at + i * 0.25 + 0.22);
  }
}

/** New alarms arrived on the live list: a chime, and one browser notification naming the newest. */
export function announce(fresh: Alarm[]): void {
  if (!alertsOn.value || !fresh.length) return;
  chime();
  if (!('Notification' in globalThis) || Notification.permission !== 'granted') return;
  const a = fresh[0]!;
  const where = [a.place.township, a.place.village, a.place.crossing].filter(Boolean).join(' ');
  new Notification(t('newAlarm', { n: fresh.length }), {
    body: `${kindLabel(a.kind)} · ${where}`,
    tag: 'rw-alarm',
  });
}
