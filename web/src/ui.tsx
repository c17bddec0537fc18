/**
 * The few building blocks every page shares: a page frame, the loading / error / unavailable /
 * empty states (each saying what to do next), figure cards and an interval bar.
 */
import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import type { ApiError } from './api.ts';
import type { ApiResult } from './data.ts';
import { useAppInfo } from './data.ts';
import { Link } from './router.tsx';

/** The first page of a visit keeps the browser's focus order (skip link first); later ones move focus. */
let navigated = false;

export function Page({ title, intro, actions, children }: { title: string; intro?: ReactNode; actions?: ReactNode; children: ReactNode }): ReactNode {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Throughline`;
    // After a client-side navigation, moving focus to the new heading tells keyboard and
    // screen-reader users where they are, as a page load would.
    if (navigated) heading.current?.focus({ preventScroll: true });
    navigated = true;
  }, [title]);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-head">
        <div>
          <h1 id="page-title" tabIndex={-1} ref={heading}>
            {title}
          </h1>
          {intro !== undefined && <p className="intro">{intro}</p>}
        </div>
        {actions !== undefined && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function Loading({ what }: { what: string }): ReactNode {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

function advice(error: ApiError, role: string): string {
  switch (error.status) {
    case 0:
      return 'Check that throughline serve is running and reachable, then retry.';
    case 403:
      return `This needs another role than your key's (${role}); sign in with an admin or analyst key for analyses, or an agent key for customers and cases.`;
    case 404:
      return 'Check the identifier or pick another item from the list.';
    case 429:
      return 'Too many requests for this key just now: wait a few seconds and retry.';
    case 400:
      return 'Change the filters and try again.';
    default:
      return error.status >= 500 ? 'The server log has the details; retry in a moment.' : 'Retry, or sign out and in again.';
  }
}

export function Problem({ error, retry, what }: { error: ApiError; retry?: () => void; what: string }): ReactNode {
  const { role } = useAppInfo();
  return (
    <div className="state problem" role="alert">
      <strong>Could not load {what}.</strong> <span className="server-says">{error.message}.</span> {advice(error, role)}
      {retry !== undefined && (
        <>
          {' '}
          <button type="button" className="link-button" onClick={retry}>
            Retry
          </button>
        </>
      )}
    </div>
  );
}

export function Unavailable({ endpoint, what }: { endpoint: string; what: string }): ReactNode {
  return (
    <div className="state unavailable" data-unavailable={endpoint}>
      <strong>Not available on this server: {what}.</strong> It needs <code>{endpoint}</code>, which this version of <code>throughline serve</code> does
      not offer; a newer server will show it here.
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }): ReactNode {
  return <div className="state empty">{children}</div>;
}

/** Renders a document once loaded; every other state says what is going on. */
export function Show<T>({
  result,
  what,
  children,
  isEmpty,
  empty,
}: {
  result: ApiResult<T>;
  what: string;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
}): ReactNode {
  switch (result.status) {
    case 'loading':
      return <Loading what={what} />;
    case 'unavailable':
      return <Unavailable endpoint={result.endpoint} what={what} />;
    case 'error':
      return <Problem error={result.error} retry={result.reload} what={what} />;
    case 'ok':
      if (isEmpty?.(result.data) === true) return <Empty>{empty ?? `No ${what} yet.`}</Empty>;
      return <>{children(result.data)}</>;
  }
}

/** A figure card linking to the page that explains it; `drill` adds a link to the list it counts. */
export function Figure({ label, value, detail, to, tone, drill }: { label: string; value: ReactNode; detail?: ReactNode; to: string; tone?: 'good' | 'bad'; drill?: { to: string; text: string } }): ReactNode {
  const card = (
    <Link to={to} className={`figure${tone === undefined ? '' : ` ${tone}`}`}>
      <span className="figure-label">{label}</span>
      <span className="figure-value">{value}</span>
      {detail !== undefined && <span className="figure-detail">{detail}</span>}
    </Link>
  );
  if (drill === undefined) return card;
  return (
    <div className="figure-box">
      {card}
      <Link to={drill.to} className="figure-drill" data-drill={label}>
        {drill.text}
      </Link>
    </div>
  );
}

export function Pill({ children, tone }: { children: ReactNode; tone?: 'good' | 'bad' | 'warn' | 'info' }): ReactNode {
  return <span className={`pill${tone === undefined ? '' : ` ${tone}`}`}>{children}</span>;
}

/**
 * A value with its 95% interval on a fixed scale, and optionally a second value (raw beside
 * adjusted): the picture of "who is being blamed for upstream failures".
 */
export function IntervalBar({ min, max, lo, hi, value, other, label }: { min: number; max: number; lo: number; hi: number; value: number; other?: number; label: string }): ReactNode {
  const at = (x: number): string => `${(100 * (Math.min(max, Math.max(min, x)) - min)) / (max - min)}%`;
  return (
    <span className="interval" role="img" aria-label={label} title={label}>
      <span className="interval-band" style={{ left: at(lo), width: `calc(${at(hi)} - ${at(lo)})` }} />
      {other !== undefined && <span className="interval-dot other" style={{ left: at(other) }} />}
      <span className="interval-dot" style={{ left: at(value) }} />
    </span>
  );
}

/** A labelled form control laid out the same way everywhere. */
export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }): ReactNode {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint !== undefined && <span className="field-hint">{hint}</span>}
    </label>
  );
}
