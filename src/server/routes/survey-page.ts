/**
 * The hosted survey page at a signed link, `/s/<token>`: no API key (the signed token is the
 * credential), one small self-contained HTML page per step — inline CSS, no script, no external
 * asset, a plain form POST — so it works on any phone with JavaScript off. GET shows the first
 * question without using the link up; the first answer redeems it; the rest of the conversation
 * carries its session id in a hidden field. JSON in, JSON out, for a page of your own.
 */
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../core/logger.ts';
import { answerSurveyLink, getSurvey, previewSurveyLink } from '../../feedback/index.ts';
import type { SurveyMessage } from '../../feedback/index.ts';
import type { Store } from '../../store/store.ts';
import { describeError } from '../errors.ts';
import type { WebhookSender } from './webhooks.ts';

export interface SurveyPageDeps {
  readonly store: Store;
  readonly now: () => number;
  readonly webhooks: WebhookSender;
  readonly logger: Logger;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f5f7}
main{max-width:36rem;margin:0 auto;padding:2rem 1.25rem}
.card{background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.company{margin:0 0 1rem;font-size:.9rem;color:#5b6375;text-transform:uppercase;letter-spacing:.04em}
h1{font-size:1.3rem;margin:0 0 .75rem}
.message{font-size:1.15rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
p{margin:0 0 1rem}
fieldset{border:0;margin:0 0 1rem;padding:0}
.scale{display:flex;flex-wrap:wrap;gap:.4rem}
.scale label{flex:1 0 2.6rem}
.scale input,.choices input{position:absolute;opacity:0}
.scale span{display:block;text-align:center;padding:.55rem 0;border:1px solid #c5cad6;border-radius:8px;cursor:pointer}
.scale input:checked+span,.choices input:checked+span{background:#1d4ed8;border-color:#1d4ed8;color:#fff}
.scale input:focus-visible+span,.choices input:focus-visible+span{outline:3px solid #93b4ff}
.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#5b6375;margin-top:.3rem}
.choices label{display:block;margin-bottom:.4rem}
.choices span{display:block;padding:.55rem .8rem;border:1px solid #c5cad6;border-radius:8px;cursor:pointer}
textarea{width:100%;min-height:6rem;font:inherit;padding:.6rem;border:1px solid #c5cad6;border-radius:8px}
button{font:inherit;padding:.6rem 1.2rem;border-radius:8px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1d4ed8}
form+form{margin-top:.75rem}
.note{color:#9a3412}
`.trim();

/** The only style the page may apply: its own (a Content-Security-Policy hash, so no injected style or script runs). */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

const SCALE_ENDS: Readonly<Record<string, readonly [string, string]>> = {
  nps: ['Not at all likely', 'Extremely likely'],
  csat: ['Very dissatisfied', 'Very satisfied'],
  ces: ['Very difficult', 'Very easy'],
};

/** Everything that comes from data goes through here before it reaches the page. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, company: string | null, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main><div class="card">
${company === null ? '' : `<p class="company">${escapeHtml(company)}</p>\n`}${body}
</div></main>
</body>
</html>
`;
}

function hiddenSession(m: SurveyMessage): string {
  return m.session_id === '' ? '' : `<input type="hidden" name="session" value="${escapeHtml(m.session_id)}">`;
}

/** The form for what the message asks; forms post back to the page's own address (no action attribute), so the token is never echoed. */
function form(m: SurveyMessage): string {
  const session = hiddenSession(m);
  const q = m.question;
  if (m.expects === 'score' && q !== null && q.scale !== null) {
    const [lo, hi] = q.scale;
    const [low, high] = SCALE_ENDS[q.kind] ?? ['', ''];
    const options = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
      .map((n) => `<label><input type="radio" name="answer" value="${n}" required><span>${n}</span></label>`)
      .join('');
    return `<form method="post">${session}<fieldset><legend class="sr">${escapeHtml(`From ${lo} (${low.toLowerCase()}) to ${hi} (${high.toLowerCase()})`)}</legend>
<div class="scale">${options}</div>
<div class="ends"><span>${escapeHtml(`${lo}: ${low}`)}</span><span>${escapeHtml(`${hi}: ${high}`)}</span></div></fieldset>
<button type="submit">Send</button></form>`;
  }
  if (m.expects === 'choice' && q !== null) {
    const options = q.choices.map((c) => `<label><input type="radio" name="answer" value="${escapeHtml(c)}" required><span>${escapeHtml(c)}</span></label>`).join('');
    return `<form method="post">${session}<fieldset class="choices">${options}</fieldset><button type="submit">Send</button></form>`;
  }
  const yes = `<form method="post">${session}<input type="hidden" name="answer" value="YES"><button type="submit">Yes, please call me</button></form>`;
  if (m.expects === 'yes_no') {
    return `${yes}<form method="post">${session}<input type="hidden" name="answer" value="no thank you"><button type="submit" class="secondary">No, thank you</button></form>`;
  }
  if (m.expects === 'text') {
    const text = `<form method="post">${session}<label for="answer">Your answer${q === null ? '' : ' (optional)'}</label>
<textarea id="answer" name="answer" maxlength="2000"></textarea>
<button type="submit">Send</button></form>`;
    return m.callback_offered ? `${text}${yes}` : text;
  }
  return '<p>You can close this page now.</p>';
}

async function messagePage(store: Store, m: SurveyMessage, note: string | null = null): Promise<string> {
  const survey = await getSurvey(store, m.survey_id);
  const body = `${note === null ? '' : `<p class="note">${escapeHtml(note)}</p>\n`}<p class="message">${escapeHtml(m.text)}</p>\n${form(m)}`;
  return page(survey.name, survey.company, body);
}

/** What a customer reads when the link cannot be used, by status. */
const ERROR_PAGES: Readonly<Record<number, string>> = {
  400: 'We could not read your answer',
  401: 'This survey link is not valid',
  403: 'This survey link has expired',
  404: 'This survey is no longer available',
  409: 'This survey has already been answered',
  413: 'Your answer is too long',
};

function wantsJson(request: FastifyRequest): boolean {
  const type = String(request.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) return true;
  const accept = String(request.headers.accept ?? '');
  return accept.includes('application/json') && !accept.includes('text/html');
}

function secure(reply: FastifyReply): FastifyReply {
  // The token in the address is the credential: it must not leak to caches, referrers or search engines.
  return reply
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-robots-tag', 'noindex')
    .header('content-security-policy', CSP);
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return secure(reply).code(status).type('text/html; charset=utf-8').send(html);
}

function messageJson(m: SurveyMessage): Record<string, unknown> {
  return { session: m.session_id === '' ? null : m.session_id, text: m.text, expects: m.expects, question: m.question, done: m.done, callback_offered: m.callback_offered };
}

const PARAMS = { type: 'object', properties: { token: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['token'] } as const;

export async function registerSurveyPage(app: FastifyInstance, deps: SurveyPageDeps): Promise<void> {
  // In its own scope, so only this page takes form posts: the API's key-protected routes stay JSON-only.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    const errorHandler = (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
      const d = describeError(err, request);
      if (d.internal) deps.logger.warn(`${request.method} /s/… failed (request ${request.id}): ${err.stack ?? err.message}`);
      if (wantsJson(request)) return secure(reply).code(d.status).send({ error: { code: d.code, message: d.message } });
      const title = ERROR_PAGES[d.status] ?? 'Something went wrong on our side';
      const detail = d.internal
        ? 'Please try again later.'
        : d.status === 413
          ? 'Please shorten your answer and send it again.'
          : `${d.message.charAt(0).toUpperCase()}${d.message.slice(1)}.`;
      return sendHtml(reply, d.status, page(title, null, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(detail)}</p>`));
    };
    const dialogue = (): { now: () => number } => {
      const now = deps.now();
      return { now: () => now };
    };

    scope.get(
      '/s/:token',
      {
        config: { access: 'public' },
        errorHandler,
        schema: {
          tags: ['survey page'],
          summary: 'The hosted survey page: the first question (HTML; no API key, the signed link is the credential)',
          description: 'Showing the page does not use the link up; answering does. 401 forged, 403 expired, 409 already answered — each an HTML page.',
          security: [],
          params: PARAMS,
        },
      },
      async (request, reply) => {
        const { token } = request.params as { token: string };
        const m = await previewSurveyLink(deps.store, token, dialogue());
        if (wantsJson(request)) return secure(reply).send(messageJson(m));
        return sendHtml(reply, 200, await messagePage(deps.store, m));
      },
    );

    scope.post(
      '/s/:token',
      {
        config: { access: 'public' },
        errorHandler,
        bodyLimit: 16 * 1024,
        schema: {
          tags: ['survey page'],
          summary: "An answer from the hosted page (form-encoded or JSON); the answer is the next message",
          description:
            'The first answer uses the link up and starts the conversation; later answers send the `session` the previous answer returned. HTML for a form post, JSON for a JSON body.',
          security: [],
          params: PARAMS,
          body: {
            type: 'object',
            properties: { answer: { type: 'string', maxLength: 2000 }, session: { type: 'string', minLength: 1, maxLength: 100 } },
            required: ['answer'],
            additionalProperties: false,
          },
        },
      },
      async (request, reply) => {
        const { token } = request.params as { token: string };
        const body = request.body as { answer: string; session?: string };
        if (body.session === undefined && body.answer.trim() === '') {
          // Nothing to record: the link is not used up by an empty form.
          const first = await previewSurveyLink(deps.store, token, dialogue());
          if (wantsJson(request)) return secure(reply).code(400).send({ error: { code: 'usage', message: 'the answer is empty' } });
          return sendHtml(reply, 400, await messagePage(deps.store, first, 'Please choose an answer.'));
        }
        const m = await answerSurveyLink(deps.store, { token, sessionId: body.session ?? null, text: body.answer }, dialogue());
        deps.webhooks.send(m.webhooks);
        if (wantsJson(request)) return secure(reply).send(messageJson(m));
        return sendHtml(reply, 200, await messagePage(deps.store, m));
      },
    );
  });
}
