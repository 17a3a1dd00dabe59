import type { DeviceRecord } from './device-store.ts';

export interface DonorWallEntry {
  donor: string;
  place: string;
  date: string | null;
  thanks: string | null;
  working: boolean;
}

/** Hardware faults that make a donated light "not working" on the wall. */
const NOT_WORKING = new Set(['lamp_fault', 'light_offline']);

/** 一灯一带 / 慈善+交安: every crowd-funded light, who gave it (or 匿名), where, when, and whether it works now. Amounts are not shown. */
export function donorWall(devices: DeviceRecord[]): DonorWallEntry[] {
  return devices
    .filter((d) => d.donor)
    .map((d) => ({
      donor: d.donor!.anonymous || !d.donor!.name ? '匿名 anonymous' : d.donor!.name,
      place: [d.township, d.village, d.crossing ?? d.name].filter(Boolean).join(' '),
      date: d.donor!.date ?? null,
      thanks: d.donor!.thanks ?? null,
      working: d.state === 'online' && !d.flags.some((f) => NOT_WORKING.has(f)),
    }))
    .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '') || a.place.localeCompare(b.place));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function donorPage(entries: DonorWallEntry[]): string {
  const rows = entries
    .map(
      (e) =>
        `<tr><td>${esc(e.donor)}</td><td>${esc(e.place)}</td><td>${esc(e.date ?? '')}</td><td>${e.working ? '✅ 正常 working' : '🔧 检修中 under repair'}</td><td>${esc(e.thanks ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>爱心警示灯 捐赠名录 — Donor wall</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2rem;color:#222}h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.5rem;text-align:left}th{background:#f4f4f4}</style>
</head><body>
<h1>爱心警示灯 · 一灯一带 — 感谢每一位捐赠者 <small>(Thank you to everyone who gave a warning light)</small></h1>
<p>${entries.length} 盏 lights · ${entries.filter((e) => e.working).length} 正常 working</p>
<table><thead><tr><th>捐赠者 Donor</th><th>地点 Place</th><th>日期 Date</th><th>状态 Status</th><th>致谢 Thanks</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
