/** What every command receives from the program: where the data lives, how to print, the config. */
import type { Config } from '../config/index.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import type { Io } from './output.ts';

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface CommandContext {
  readonly io: Io;
  readonly config: Config;
  readonly global: () => GlobalOptions;
}

export function dbLocation(ctx: CommandContext): string {
  return ctx.global().db ?? ctx.config.db;
}

/** Opens the store for one command and always closes it, so the file lock is released. */
export async function withStore<T>(ctx: CommandContext, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(dbLocation(ctx));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
