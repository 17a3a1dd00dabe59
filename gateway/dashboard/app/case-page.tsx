import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, followLive } from './api.ts';
import { Chips, EvidencePhoto, PlateText, placeOf } from './components.tsx';
import { kindLabel, responseLabel, serverText, stateLabel, t, time, timeLeft } from './i18n.ts';
import type { CaseDetail, CaseResponse, Me } from './types.ts';

/** The detector a box uses when its county gives none: general, with no tricycle class. */
const BUILT_IN = new Set(['centernet-mb3-coco', 'nanodet-m-coco']);

type Verb = 'acknowledge' | 'complete' | 'waive' | 'reopen';

/** What can be done to a response in this state (the gateway's state machine decides in the end). */
function verbsFor(r: CaseResponse): Verb[] {
  if (r.state === 'done' || r.state === 'waived') return ['reopen'];
  const v: Verb[] = [];
  if (r.state === 'sent' || r.state === 'escalated') v.push('acknowledge');
  if (r.state !== 'failed') v.push('complete');
  v.push('waive');
  return v;
}

/**
 * A phone photo made small enough to send (a 12-megapixel JPEG is 4 MB and more): at most 1600 px
 * on its long side, JPEG at 0.8, as base64.
 */
async function shrinkPhoto(file: File): Promise<string> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the photo could not be read'))), 'image/jpeg', 0.8),
  );
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function ResponseActions({ r, onDone }: { r: CaseResponse; onDone: () => void }) {
  const [text, setText] = useState('');
  const [photo, setPhoto] = useState<File | undefined>();
  const [error, setError] = useState('');
  // A finished response is reopened rarely and on purpose: the reason box shows only when asked for.
  const [reopening, setReopening] = useState(false);
  const finished = r.state === 'done' || r.state === 'waived';
  const run = async (verb: Verb) => {
    setError('');
    try {
      const jpeg = verb === 'complete' && photo ? await shrinkPhoto(photo) : undefined;
      await api.act(r.id, verb, text.trim() || undefined, jpeg);
      setText('');
      setPhoto(undefined);
      onDone();
    } catch (e) {
      setError(serverText((e as Error).message));
    }
  };
  const verbs = verbsFor(r);
  const needsText = finished ? reopening : verbs.some((v) => v !== 'acknowledge');
  if (finished && !reopening)
    return (
      <div class="actions" data-response={r.kind}>
        <button type="button" class="link" onClick={() => setReopening(true)} data-testid={`${r.kind}-reopen-ask`}>
          {t('reopen')}…
        </button>
      </div>
    );
  return (
    <div class="actions" data-response={r.kind}>
      {needsText && (
        <textarea
          rows={2}
          value={text}
          placeholder={finished ? t('reason') : t('outcome')}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          data-testid={`${r.kind}-text`}
        />
      )}
      {!finished && verbs.includes('complete') && (
        <label class="photo-input">
          {t('addPhoto')}
          <input
            type="file"
            accept="image/*"
            capture="environment"
            onChange={(e) => setPhoto((e.target as HTMLInputElement).files?.[0])}
            data-testid={`${r.kind}-photo`}
          />
        </label>
      )}
      {verbs.map((v) => (
        <button type="button" key={v} onClick={() => void run(v)} data-testid={`${r.kind}-${v}`}>
          {t(v)}
        </button>
      ))}
      {error && <p class="error">{error}</p>}
    </div>
  );
}

/** When the response must be acknowledged by, and how long is left (or how far overdue), kept current. */
function DeadlineLine({ deadline, kind }: { deadline: string; kind: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const left = timeLeft(deadline, now);
  return (
    <p class={left.overdue ? 'deadline overdue' : 'deadline'} data-testid={`deadline-${kind}`}>
      {t('deadline')}: {time(deadline)} · {left.text}
    </p>
  );
}

function FaceMatches({ caseId }: { caseId: string }) {
  const [m, setM] = useState<Awaited<ReturnType<typeof api.faceMatches>>['matches'] | null>(null);
  useEffect(() => {
    api.faceMatches(caseId).then(
      (r) => setM(r.matches),
      () => setM([]),
    );
  }, [caseId]);
  if (m === null) return null;
  return (
    <section class="faces">
      <h2>{t('faceMatches')}</h2>
      {m.length === 0 ? (
        <p>{t('noFaceMatch')}</p>
      ) : (
        <ul>
          {m.map((x) => (
            <li key={x.plate}>
              <strong>{x.plate}</strong> · {t('similarity')} {Math.round(x.similarity * 100)}% · {time(x.capturedAt)} ·{' '}
              {x.deviceId}
              {x.vehicle?.vehicle.ownerName &&
                ` · ${t('owner')} ${x.vehicle.vehicle.ownerName} (${x.vehicle.vehicle.village ?? ''})`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** One case: the evidence, the three responses with their actions, and the timeline of who did what when. */
export function CasePage({ id, me }: { id: string; me: Me }) {
  const [c, setC] = useState<CaseDetail | null | 'missing'>(null);
  const load = useCallback(async () => {
    try {
      setC(await api.case(id));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setC('missing');
      else throw e;
    }
  }, [id]);
  useEffect(() => {
    void load();
    return followLive(
      () => void load(),
      () => undefined,
    );
  }, [load]);

  if (c === null) return <main />;
  if (c === 'missing')
    return (
      <main>
        <p class="error" data-testid="not-found">
          {t('notFound')}
        </p>
        <a href="#/">{t('back')}</a>
      </main>
    );
  const timeline = [
    ...(c.alarm
      ? [{ at: c.alarm.ts, who: c.deviceId, what: t('captured'), note: c.alarm.plate?.text ?? '', photo: undefined }]
      : []),
    ...c.responses.flatMap((r) =>
      r.history.map((h) => ({
        at: h.at,
        who: h.actor,
        what: `${responseLabel(r.kind)} → ${stateLabel(h.to)}`,
        note: h.note ?? '',
        photo: h.photo,
      })),
    ),
  ].sort((a, b) => a.at.localeCompare(b.at));
  const states = Object.fromEntries(c.responses.map((r) => [r.kind, r.state]));
  return (
    <main class="case">
      <a href="#/">← {t('back')}</a>
      <h1>
        {t('caseTitle')} {c.id.slice(-8)} · {kindLabel(c.kind)}{' '}
        <span class={c.closedAt ? 'badge closed' : 'badge open'} data-testid="case-state">
          {c.closedAt ? t('caseClosed') : t('caseOpen')}
        </span>
      </h1>
      {c.alarm && (
        <section class="evidence">
          {c.alarm.photo && <EvidencePhoto photo={c.alarm.photo} large />}
          <p>
            <PlateText plate={c.alarm.plate} /> · {placeOf(c.alarm)} · {time(c.alarm.ts)}
            {c.repeatCount > 1 && <span class="repeat"> · {t('repeat', { n: c.repeatCount })}</span>}
          </p>
          {c.alarm.photo?.models.length ? (
            <p class="help" data-testid="decided-by">
              {t('decidedBy')}: {c.alarm.photo.models[0]}
              {BUILT_IN.has(c.alarm.photo.models[0]!) ? ` — ${t('builtInModel')}` : ''}
            </p>
          ) : null}
          {c.vehicle && (
            <p data-testid="archive-vehicle">
              {t('archiveMatch')}: <strong>{c.vehicle.plate ?? c.vehicle.id}</strong> · {c.vehicle.ownerName ?? ''} ·{' '}
              {[c.vehicle.township, c.vehicle.village].filter(Boolean).join(' ')}
            </p>
          )}
          {c.lead && (
            <p data-testid="archive-lead" class="lead">
              {t('archiveLead')}: <strong>{c.lead.plate}</strong> · {c.lead.vehicle.ownerName ?? ''} ·{' '}
              {[c.lead.vehicle.township, c.lead.vehicle.village].filter(Boolean).join(' ')} ·{' '}
              <small>{c.alarm.plate?.uncertain.length ? t('plateUncertainHelp') : serverText(c.lead.reason)}</small>
            </p>
          )}
        </section>
      )}
      <Chips responses={states} />
      <section class="responses">
        {c.responses.map((r) => (
          <article key={r.id} class={`response state-${r.state}`} data-kind={r.kind} data-state={r.state}>
            <h2>
              {responseLabel(r.kind)} · {stateLabel(r.state)}
            </h2>
            {r.recipient?.name && (
              <p data-testid={`recipient-${r.kind}`}>
                {t('recipient')}: {r.recipient.name}
                {r.recipient.phone && (
                  <>
                    {' · '}
                    <a href={`tel:${r.recipient.phone}`}>{r.recipient.phone}</a>
                  </>
                )}
              </p>
            )}
            {r.ackDeadline && (r.state === 'sent' || r.state === 'escalated') && (
              <DeadlineLine deadline={r.ackDeadline} kind={r.kind} />
            )}
            {r.note && <p class="note">{serverText(r.note)}</p>}
            {me.actsOn.includes(r.kind) && <ResponseActions r={r} onDone={() => void load()} />}
          </article>
        ))}
      </section>
      {me.seesPersonalData && c.alarm && !c.alarm.plate && <FaceMatches caseId={c.id} />}
      <section class="timeline">
        <h2>{t('timeline')}</h2>
        <ol>
          {timeline.map((e, i) => (
            <li key={i}>
              <time dateTime={e.at}>{time(e.at)}</time> <strong>{e.what}</strong> <span class="who">{e.who}</span>{' '}
              {e.note && <q>{serverText(e.note)}</q>}
              {e.photo && (
                <a href={`/api/v1/images/${e.photo}`} target="_blank" rel="noreferrer" data-testid="outcome-photo">
                  <img src={`/api/v1/images/${e.photo}`} alt={t('outcomePhoto')} class="outcome-photo" loading="lazy" />
                </a>
              )}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
