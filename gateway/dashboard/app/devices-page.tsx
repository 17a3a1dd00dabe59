import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { CountyMap } from './county-map.tsx';
import { t, time } from './i18n.ts';
import type { DeviceRow, MapArea } from './types.ts';

export const stateText = (s: string): string => (s === 'online' ? t('online') : s === 'offline' ? t('offlineState') : t('unknownState'));
export const placeText = (d: DeviceRow): string => [d.township, d.village, d.crossing ?? d.name].filter(Boolean).join(' ');

/** Every box in the user's area: on the county map, and as a table. */
export function DevicesPage() {
  const [devices, setDevices] = useState<DeviceRow[] | null>(null);
  const [areas, setAreas] = useState<MapArea[] | null | undefined>(undefined);
  useEffect(() => {
    void api.devices().then(setDevices);
    void api.map().then(setAreas);
  }, []);
  if (!devices) return <main />;
  return (
    <main>
      <h1>{t('devices')}</h1>
      {areas === null ? <p class="empty">{t('noMap')}</p> : areas && <CountyMap areas={areas} devices={devices} />}
      {devices.length === 0 ? (
        <p class="empty">{t('noDevices')}</p>
      ) : (
        <table class="devices">
          <thead>
            <tr>
              <th>{t('device')}</th>
              <th>{t('place')}</th>
              <th>{t('status')}</th>
              <th>{t('lampFault')}</th>
              <th>{t('battery')}</th>
              <th>{t('lastAlarm')}</th>
              <th>{t('tickets')}</th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.id} data-device={d.id}>
                <td>
                  <a href={`#/devices/${d.id}`}>{d.id}</a>
                </td>
                <td>{placeText(d)}</td>
                <td class={`state-${d.state}`}>{stateText(d.state)}</td>
                <td>{d.flags.includes('lamp_fault') ? '⚠' : ''}</td>
                <td>{typeof d.batteryV === 'number' ? `${d.batteryV.toFixed(1)} V` : '—'}</td>
                <td>{d.lastAlarmAt ? time(d.lastAlarmAt) : '—'}</td>
                <td>{d.openTickets || ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
