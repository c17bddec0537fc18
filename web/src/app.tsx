/**
 * The shell: sign-in with an API key, navigation by role, and each page loaded on demand.
 * Roles follow the server's (docs/security.md): admin and analyst read the analyses; an agent
 * looks customers up, works cases and tries engagement actions. Admin sees everything.
 */
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import type { FormEvent, LazyExoticComponent, ReactNode } from 'react';
import { ApiError, detectRole, loadEndpoints, onSessionChange, session, signIn, signOut } from './api.ts';
import type { Role } from './api.ts';
import { AppContext } from './data.ts';
import type { AppInfo } from './data.ts';
import { Link, navigate, useLocation } from './router.tsx';
import { Empty, Loading } from './ui.tsx';

interface PageDef {
  readonly path: string;
  readonly label: string;
  readonly roles: readonly Role[];
  readonly component: LazyExoticComponent<() => ReactNode>;
  /** Pages reached only from a figure (the list behind it), not from the navigation. */
  readonly hidden?: boolean;
}

const ANALYSTS: readonly Role[] = ['admin', 'analyst'];
const AGENTS: readonly Role[] = ['admin', 'agent'];

const PAGES: readonly PageDef[] = [
  { path: '/', label: 'Overview', roles: ANALYSTS, component: lazy(() => import('./pages/overview.tsx')) },
  { path: '/map', label: 'Journey map', roles: ANALYSTS, component: lazy(() => import('./pages/journey-map.tsx')) },
  { path: '/broken', label: 'Broken steps', roles: ANALYSTS, component: lazy(() => import('./pages/broken.tsx')) },
  { path: '/teams', label: 'Teams', roles: ANALYSTS, component: lazy(() => import('./pages/teams.tsx')) },
  { path: '/drivers', label: 'Drivers', roles: ANALYSTS, component: lazy(() => import('./pages/drivers.tsx')) },
  { path: '/risk', label: 'Risk', roles: ANALYSTS, component: lazy(() => import('./pages/risk.tsx')) },
  { path: '/promises', label: 'Promises', roles: ANALYSTS, component: lazy(() => import('./pages/promises.tsx')) },
  { path: '/drill', label: 'Behind the number', roles: ANALYSTS, component: lazy(() => import('./pages/drill.tsx')), hidden: true },
  { path: '/agents', label: 'Agents and teams', roles: ANALYSTS, component: lazy(() => import('./pages/agents.tsx')) },
  { path: '/feedback', label: 'Feedback', roles: ANALYSTS, component: lazy(() => import('./pages/feedback.tsx')) },
  { path: '/cases', label: 'Cases', roles: ['admin', 'analyst', 'agent'], component: lazy(() => import('./pages/cases.tsx')) },
  { path: '/customer', label: 'Customer', roles: AGENTS, component: lazy(() => import('./pages/customer.tsx')) },
  { path: '/engagement', label: 'Engagement', roles: AGENTS, component: lazy(() => import('./pages/engagement.tsx')) },
  { path: '/outbound', label: 'Outbound timing', roles: ANALYSTS, component: lazy(() => import('./pages/outbound.tsx')) },
  { path: '/surveys', label: 'Surveys', roles: ANALYSTS, component: lazy(() => import('./pages/surveys.tsx')) },
];

/** `/cases/CS-1` belongs to `/cases`; `/` matches only itself. */
function pageFor(path: string): PageDef | undefined {
  return PAGES.find((p) => (p.path === '/' ? path === '/' : path === p.path || path.startsWith(`${p.path}/`)));
}

function homeFor(role: Role): string {
  return role === 'agent' ? '/customer' : '/';
}

function SignIn({ reason, endpoints }: { reason: string | null; endpoints: ReadonlySet<string> | null }): ReactNode {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(reason);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const k = key.trim();
    if (k === '') return setError('Paste an API key first.');
    setBusy(true);
    setError(null);
    try {
      const role = await detectRole(k, endpoints);
      if (role === 'collector' || role === 'gateway') {
        setError(`This is a ${role} key: it can only ${role === 'collector' ? 'send events' : 'relay text messages'}. Sign in with an admin, analyst or agent key.`);
        return;
      }
      signIn({ key: k, role });
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message}.` : 'Could not reach the server; check that throughline serve is running.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={(e) => void submit(e)} aria-describedby="signin-help">
        <h1>Throughline</h1>
        <p id="signin-help">
          Sign in with an API key. Create one with <code>throughline keys create --role analyst</code> (or <code>admin</code>, <code>agent</code>). The key stays in
          this browser tab only.
        </p>
        <label className="field">
          <span className="field-label">API key</span>
          <input
            name="key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="tl_…"
            autoFocus
            required
          />
        </label>
        {error !== null && (
          <p className="state problem" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function Shell({ info }: { info: AppInfo }): ReactNode {
  const { path } = useLocation();
  const visible = PAGES.filter((p) => p.roles.includes(info.role) && p.hidden !== true);
  const page = pageFor(path);

  useEffect(() => {
    // A page this role may not see, or the root for an agent, goes to the role's home.
    if (page !== undefined && !page.roles.includes(info.role)) navigate(homeFor(info.role), { replace: true });
  }, [page, info.role]);

  let content: ReactNode;
  if (page === undefined) {
    content = (
      <Empty>
        There is no page at <code>{path}</code>. <Link to={homeFor(info.role)}>Go to the start page</Link>.
      </Empty>
    );
  } else if (!page.roles.includes(info.role)) {
    content = <Loading what="your start page" />;
  } else {
    const C = page.component;
    content = <C />;
  }

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={homeFor(info.role)} className="brand">
          Throughline
        </Link>
        <nav aria-label="Pages">
          <ul>
            {visible.map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={page === p ? 'page' : undefined}>
                  {p.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="role" title="The role of the key you signed in with">
            {info.role}
          </span>
          <button type="button" className="link-button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Suspense fallback={<Loading what="the page" />}>{content}</Suspense>
      </main>
    </div>
  );
}

export function App(): ReactNode {
  const [s, setS] = useState(session);
  const [reason, setReason] = useState<string | null>(null);
  const [endpoints, setEndpoints] = useState<ReadonlySet<string> | null | undefined>(undefined);

  useEffect(
    () =>
      onSessionChange((why) => {
        setS(session());
        setReason(why);
      }),
    [],
  );
  useEffect(() => {
    void loadEndpoints().then(setEndpoints);
  }, []);

  const info = useMemo<AppInfo | null>(() => (s === null || endpoints === undefined ? null : { role: s.role, endpoints }), [s, endpoints]);

  if (endpoints === undefined) return <Loading what="Throughline" />;
  if (info === null) return <SignIn reason={reason} endpoints={endpoints} />;
  return (
    <AppContext.Provider value={info}>
      <Shell info={info} />
    </AppContext.Provider>
  );
}
