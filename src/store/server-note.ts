/**
 * A note beside a DuckDB file saying which `throughline serve` holds it and where it listens,
 * so a command that finds the file locked can tell the user where the server is instead of
 * only that the file is busy. Written by the server on start, removed on shutdown; a note
 * left by a crashed server names a process that is gone and is ignored.
 */
import fs from 'node:fs';

export interface ServerNote {
  readonly pid: number;
  readonly url: string;
  readonly started_at: string;
}

export function serverNotePath(location: string): string {
  return `${location}.server.json`;
}

export function writeServerNote(location: string, note: ServerNote): void {
  fs.writeFileSync(serverNotePath(location), JSON.stringify(note) + '\n');
}

export function removeServerNote(location: string): void {
  fs.rmSync(serverNotePath(location), { force: true });
}

/** The note of a server that is still running, or null. */
export function readServerNote(location: string): ServerNote | null {
  try {
    const note = JSON.parse(fs.readFileSync(serverNotePath(location), 'utf8')) as ServerNote;
    if (typeof note.pid !== 'number' || typeof note.url !== 'string') return null;
    process.kill(note.pid, 0);
    return note;
  } catch {
    return null;
  }
}
