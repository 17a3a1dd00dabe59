import { afterEach, describe, expect, it } from 'vitest';
import { httpReceiver, type HttpReceiver } from '../../../sim/testing/http-receiver.ts';
import type { Notification } from './channel.ts';
import { SmsChannel } from './sms-channel.ts';

const note = (over: Partial<Notification> = {}): Notification => ({
  idempotencyKey: '01JCASE000000000000ABC123:village',
  caseId: '01JCASE000000000000ABC123',
  responseId: 'r-1',
  kind: 'village',
  recipient: { role: 'village', name: '王庄 cadre', phone: '+8613800000002', routedBy: "owner's village" },
  body: {
    alarm: 'tricycle_passengers',
    deviceId: 'lc-0001',
    place: { township: '梁水镇', village: '李庄', crossing: '李庄路口' },
    ackDeadline: '2026-11-29T04:02:00Z',
    event: { id: 'e1', ts: '2026-11-29T03:32:00Z', data: { plate: '鲁PAB123' } },
  },
  ...over,
});

describe('SmsChannel against a real local SMS gateway', () => {
  const open: HttpReceiver[] = [];
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
  });
  const gateway = async (answers?: number[]) => {
    const r = await httpReceiver({ answers, path: '/sms/send' });
    open.push(r);
    return r;
  };

  it('texts the recipient in short Chinese: what, where, plate, local time, deadline, case number', async () => {
    const r = await gateway();
    const sms = new SmsChannel({ name: 'sms', url: r.url, token: 'token-1234', sign: '路卫' });
    expect(await sms.send(note())).toMatchObject({ ok: true, attempts: 1 });
    expect(r.got[0].headers.authorization).toBe('Bearer token-1234');
    expect(r.got[0].body).toEqual({
      to: '+8613800000002',
      text: '【路卫】三轮车违法载人：梁水镇李庄李庄路口 鲁PAB123 11:32，请于12:02前确认（案件ABC123）',
      idempotencyKey: '01JCASE000000000000ABC123:village',
    });
    expect(String(r.got[0].body.text).length).toBeLessThanOrEqual(70);
  });

  it('marks reminders and sums up a digest', async () => {
    const sms = new SmsChannel({ name: 'sms', url: 'http://127.0.0.1:9/', token: 'token-1234', sign: '路卫' });
    expect(sms.text(note({ kind: 'reminder' }))).toMatch(/^【路卫】【提醒】三轮车违法载人/);
    const items = [{ alarm: 'tricycle_passengers' }, { alarm: 'tricycle_passengers' }, { alarm: 'minivan_overload' }];
    expect(sms.text(note({ kind: 'digest', body: { count: 3, items } }))).toBe(
      '【路卫】近1小时另有3起报警：三轮车违法载人×2、面包车超员×1。请登录平台逐一确认。',
    );
  });

  it('fails without a phone number, and retries a busy SMS gateway', async () => {
    const r = await gateway([503, 200]);
    const sms = new SmsChannel({ name: 'sms', url: r.url, token: 'token-1234', sign: '路卫', backoffMs: 5 });
    expect(await sms.send(note({ recipient: { role: 'police', name: 'duty squad', routedBy: 'x' } }))).toEqual({
      ok: false,
      attempts: 0,
      error: 'no phone number on file for duty squad (directory)',
    });
    expect(r.got).toHaveLength(0);
    expect(await sms.send(note())).toMatchObject({ ok: true, attempts: 2 });
    expect(r.got.map((g) => g.body.idempotencyKey)).toEqual([note().idempotencyKey, note().idempotencyKey]);
  });
});
