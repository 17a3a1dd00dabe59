import type { FastifyReply } from 'fastify';

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return: a plate or a name typed as `=HYPERLINK(…)`) gets a leading apostrophe, as OWASP
 * advises for CSV injection; numbers are written as they are.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  let s = Array.isArray(v) ? v.join(' ') : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV as spreadsheet programs in a county office open it: UTF-8 with a BOM, so Chinese shows right. */
export function sendCsv(reply: FastifyReply, name: string, columns: string[], rows: object[]): FastifyReply {
  const lines = rows.map((r) => columns.map((c) => csvCell((r as Record<string, unknown>)[c])).join(','));
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .send(`\uFEFF${[columns.join(','), ...lines].join('\r\n')}\r\n`);
}
