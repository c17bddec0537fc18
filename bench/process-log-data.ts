import fs from 'node:fs';
import path from 'node:path';

const ACTIVITIES = ['register', 'check', 'review', 'approve', 'reject', 'notify', 'pay', 'ship', 'archive', 'close'];

/**
 * The generated process log of bench:journeys and bench:postgres: three columns (case id, one of
 * 10 activities, ISO timestamp), about 10 events per case, mostly forward with loops and skips.
 * Deterministic; reused when the file exists; written beside and renamed so a stopped run leaves
 * no half file behind.
 */
export function writeProcessLog(file: string, events: number): void {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let state = 12345;
  const rand = (): number => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const fd = fs.openSync(`${file}.tmp`, 'w');
  fs.writeSync(fd, 'case_id,activity,timestamp\n');
  let buf: string[] = [];
  let written = 0;
  const t0 = Date.UTC(2025, 0, 1);
  const journeys = Math.max(1, Math.round(events / 10));
  for (let j = 0; j < journeys && written < events; j++) {
    const len = j === journeys - 1 ? events - written : Math.min(events - written, 10);
    let t = t0 + j * 60_000;
    let a = 0;
    for (let k = 0; k < len; k++) {
      buf.push(`case-${j},${ACTIVITIES[a]},${new Date(t).toISOString()}`);
      t += 1000 + Math.floor(rand() * 3_600_000);
      const r = rand();
      a = r < 0.7 ? Math.min(a + 1, 9) : r < 0.85 ? Math.max(a - 1, 0) : Math.min(a + 2, 9);
      written++;
    }
    if (buf.length >= 50_000) {
      fs.writeSync(fd, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length > 0) fs.writeSync(fd, buf.join('\n') + '\n');
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
}
