/**
 * A small history router: pages are real paths (`/map?intent=pay_bill`), so a link can be
 * shared, reloaded and opened in a new tab (the server answers every client path with the app).
 */
import { useSyncExternalStore } from 'react';
import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';

const subscribers = new Set<() => void>();

function subscribe(fn: () => void): () => void {
  subscribers.add(fn);
  window.addEventListener('popstate', fn);
  return () => {
    subscribers.delete(fn);
    window.removeEventListener('popstate', fn);
  };
}

const snapshot = (): string => window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace === true) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const fn of subscribers) fn();
  if (options.replace !== true) window.scrollTo(0, 0);
}

export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot);
  const [path, search = ''] = href.split('?');
  return { path: path!, query: new URLSearchParams(search) };
}

/** Replaces some query parameters of the current page (filters), keeping history short. */
export function setQuery(changes: Readonly<Record<string, string | null>>): void {
  const q = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  navigate(window.location.pathname + (s === '' ? '' : `?${s}`), { replace: true });
}

/** `<a>` that navigates without a reload; modified clicks (new tab) stay the browser's. */
export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>): ReactNode {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} {...rest} onClick={onClick}>
      {children}
    </a>
  );
}
