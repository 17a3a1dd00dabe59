import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { DataTable } from './components.tsx';
import { CountyMap } from './county-map.tsx';
import { t, time } from './i18n.ts';
import type { DeviceRow, MapArea } from './types.ts';

export const stateText = (s: string): string =>
  s === 'online' ? t('online') : s === 'offline' ? t('offlineState') : t('unknownState');
export const placeText = (d: DeviceRow): string =>
  [d.township, d.village, d.crossing ?? d.name].filter(Boolean).join(' ');

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
        <DataTable
          class="devices"
          heads={['device', 'place', 'status', 'lampFault', 'battery', 'lastAlarm', 'tickets']}
          rows={devices}
          rowKey={(d) => d.id}
          row={(d) => [
            <a href={`#/devices/${d.id}`}>{d.id}</a>,
            placeText(d),
            <span class={`state-${d.state}`}>{stateText(d.state)}</span>,
            d.flags.includes('lamp_fault') ? '⚠' : '',
            typeof d.batteryV === 'number' ? `${d.batteryV.toFixed(1)} V` : '—',
            d.lastAlarmAt ? time(d.lastAlarmAt) : '—',
            d.openTickets || '',
          ]}
        />
      )}
    </main>
  );
}
