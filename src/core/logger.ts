/** Library code reports through a Logger it is given; only the edges decide where it goes. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };
