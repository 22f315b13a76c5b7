/**
 * A counting semaphore: at most `limit` tasks run at once, the others wait in arrival order.
 * Pure (no I/O): the SSH transport paces its handshakes with it.
 */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit) || 1);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
