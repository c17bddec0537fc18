/**
 * Outbound timing: what follows the contacts the company starts (later CSAT, complaints,
 * opt-outs) by channel, kind, the customer's local hour and frequency, and where the engagement
 * guard's default quiet hours and caps stand against it (docs/teams.md, "Outbound").
 */
import type { ReactNode } from 'react';
import type { OutboundDoc, OutboundGroup } from '../../../src/engage/outbound.ts';
import { useApi } from '../data.ts';
import { fixed, int } from '../format.ts';
import { Page, Show } from '../ui.tsx';

const ci = (c: [number, number] | null): string => (c === null ? '' : `${fixed(c[0], 2)} – ${fixed(c[1], 2)}`);

function Groups({ groups, first, testid }: { groups: OutboundGroup[]; first: string; testid: string }): ReactNode {
  return (
    <div className="table-wrap">
      <table data-testid={testid}>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            <th scope="col" className="num">Contacts</th>
            <th scope="col" className="num">CSAT answers</th>
            <th scope="col" className="num">CSAT after</th>
            <th scope="col">95% interval</th>
            <th scope="col" className="num">Complaints %</th>
            <th scope="col" className="num">Opt-outs %</th>
            <th scope="col">95% interval</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.key}>
              <th scope="row">{g.key}</th>
              <td className="num">{int(g.contacts)}</td>
              <td className="num">{int(g.csat_n)}</td>
              <td className="num">{fixed(g.csat, 2)}</td>
              <td>{ci(g.csat_ci95)}</td>
              <td className="num">{fixed(g.complaint_pct, 1)}</td>
              <td className="num">{fixed(g.opt_out_pct, 1)}</td>
              <td>{ci(g.opt_out_ci95)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function OutboundPage(): ReactNode {
  const result = useApi<OutboundDoc>('outbound');
  return (
    <Page
      title="Outbound timing"
      intro="What follows the messages and calls the company starts: later satisfaction, complaints and opt-outs, by channel, kind, the customer's local hour and how often they were contacted. Intervals are 95%."
    >
      <Show result={result} what="outbound contacts" isEmpty={(d) => d.contacts === 0} empty="No outbound contacts yet: import interactions with direction=outbound.">
        {(d) => {
          const q = d.guard.quiet_hours;
          return (
            <>
              <section className="card" aria-labelledby="findings-title">
                <h2 id="findings-title">Findings</h2>
                <p className="note">
                  The guard's defaults: quiet hours {q.start}–{q.end} local on {q.channels.join(', ')}; caps{' '}
                  {d.guard.frequency_caps.map((c) => `${c.channel} ${c.max} per ${c.days} days`).join(', ')}. A finding is a group worse than the rest by 3 standard
                  errors or more, counted within {d.follow_days} days of each contact.
                </p>
                {d.findings.length === 0 ? (
                  <p>No group stands out.</p>
                ) : (
                  <ul className="plain" data-testid="outbound-findings">
                    {d.findings.slice(0, 12).map((f) => (
                      <li key={`${f.by}-${f.key}-${f.what}`}>
                        <strong>
                          {f.by.replace('_', ' × ')} {f.key}
                        </strong>
                        : {f.what === 'csat' ? 'CSAT' : f.what === 'opt_out' ? 'opt-outs %' : 'complaints %'} {fixed(f.value, 2)} against {fixed(f.rest, 2)} (difference{' '}
                        {fixed(f.difference, 2)}, 95%: {fixed(f.ci95[0], 2)} to {fixed(f.ci95[1], 2)}). {f.guard}.
                      </li>
                    ))}
                  </ul>
                )}
                <p className="note">{d.caution}</p>
              </section>
              <section className="card" aria-labelledby="hour-title">
                <h2 id="hour-title">By the customer's local hour</h2>
                <Groups groups={d.by_hour} first="Local hour" testid="outbound-hours" />
              </section>
              <section className="card" aria-labelledby="channel-title">
                <h2 id="channel-title">By channel and kind</h2>
                <Groups groups={d.by_channel} first="Channel" testid="outbound-channels" />
                <Groups groups={d.by_activity} first="Kind" testid="outbound-kinds" />
              </section>
              <section className="card" aria-labelledby="frequency-title">
                <h2 id="frequency-title">By frequency (contacts on the channel in 7 days)</h2>
                <Groups groups={d.by_frequency} first="Contacts in 7 days" testid="outbound-frequency" />
              </section>
            </>
          );
        }}
      </Show>
    </Page>
  );
}
