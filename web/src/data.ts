/**
 * Loading API documents into components: `useApi` returns loading, ok, error or unavailable
 * (the server lacks the endpoint), and cancels a request whose answer is no longer wanted.
 */
import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import { api, ApiError, apiPath } from './api.ts';
import type { Query, Role } from './api.ts';

export interface AppInfo {
  readonly role: Role;
  /** See `loadEndpoints`: null means unknown, so everything is tried. */
  readonly endpoints: ReadonlySet<string> | null;
}

export const AppContext = createContext<AppInfo>({ role: 'analyst', endpoints: null });

export function useAppInfo(): AppInfo {
  return useContext(AppContext);
}

/** `cases/{id}/contact` → `/api/v1/cases/{id}/contact` as the OpenAPI description writes it. */
export function hasEndpoint(info: AppInfo, method: string, template: string): boolean {
  return info.endpoints === null || info.endpoints.has(`${method} /api/v1/${template}`);
}

/** Fills `{name}` placeholders with encoded values. */
export function fill(template: string, params: Readonly<Record<string, string>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
}

export type ApiState<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'ok'; readonly data: T }
  | { readonly status: 'error'; readonly error: ApiError }
  | { readonly status: 'unavailable'; readonly endpoint: string };

export type ApiResult<T> = ApiState<T> & { readonly reload: () => void };

/**
 * GETs `/api/v1/<template>` with `params` filled in and `query` appended. A null template
 * waits (nothing to ask yet). The query is compared by value, so callers may build it inline.
 */
export function useApi<T>(template: string | null, query: Query = {}, params: Readonly<Record<string, string>> = {}): ApiResult<T> {
  const info = useAppInfo();
  const [state, setState] = useState<ApiState<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const url = template === null ? null : apiPath(fill(template, params), query);
  const available = template === null || hasEndpoint(info, 'GET', template);

  useEffect(() => {
    if (url === null) {
      setState({ status: 'loading' });
      return;
    }
    if (!available) {
      setState({ status: 'unavailable', endpoint: `GET /api/v1/${template}` });
      return;
    }
    const ctl = new AbortController();
    setState({ status: 'loading' });
    api<T>(url, { signal: ctl.signal }).then(
      (data) => setState({ status: 'ok', data }),
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        const error = e instanceof ApiError ? e : new ApiError(0, 'client', e instanceof Error ? e.message : String(e));
        setState(error.notAvailable ? { status: 'unavailable', endpoint: `GET /api/v1/${template}` } : { status: 'error', error });
      },
    );
    return () => ctl.abort();
  }, [url, available, template, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

/** Sends a POST (an action) and reports its progress; `run` resolves to the answer or null. */
export function useAction<T>(): {
  readonly busy: boolean;
  readonly error: ApiError | null;
  readonly run: (template: string, params: Readonly<Record<string, string>>, body: unknown) => Promise<T | null>;
} {
  const info = useAppInfo();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(
    async (template: string, params: Readonly<Record<string, string>>, body: unknown): Promise<T | null> => {
      if (!hasEndpoint(info, 'POST', template)) {
        setError(new ApiError(404, 'not_found', `no endpoint POST /api/v1/${template} on this server`));
        return null;
      }
      setBusy(true);
      setError(null);
      try {
        return await api<T>(apiPath(fill(template, params)), { method: 'POST', body });
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(0, 'client', String(e)));
        return null;
      } finally {
        setBusy(false);
      }
    },
    [info],
  );
  return { busy, error, run };
}
