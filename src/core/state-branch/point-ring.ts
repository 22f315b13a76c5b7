/**
 * The newest `capacity` in-window lines of one history file, held compactly while the file
 * streams by (pure): figures in typed arrays, statuses as small ints, a time kept as a number
 * whenever its text is the ISO form of that number, endpoints in columns per endpoint id. A
 * file's lines overwrite the oldest slot once the ring is full, so one pass keeps the newest
 * lines whatever the file's size, and what survives the read is a few arrays, not one object
 * graph per line (docs/state-branch.md#bounded-reading). Points become objects only when taken.
 */
import type { EndpointPoint, HistoryPoint, PointStatus, Rejected } from '../memory/history-series.js';

const STATUSES: readonly PointStatus[] = ['ok', 'warning', 'critical', 'down'];
/** endpoint ids given columns; a line with more (or in another order) keeps its own object */
const ENDPOINT_COLUMNS = 8;
const NONE = -1;
/** bytes per run id held in place: a GitHub run id and attempt fit */
const RUN_BYTES = 24;

interface EndpointColumn {
  id: string;
  /** HTTP code, NONE when the point has no check of this endpoint */
  code: Int16Array;
  up: Uint8Array;
  /** NaN when unknown */
  latency: Float64Array;
}

export class PointRing {
  /** in-window lines seen (kept or overwritten) */
  seen = 0;
  /** slots allocated: doubled as lines come, up to the capacity, so a small file stays small */
  private size = 0;
  private status = new Int8Array(0);
  private atMs = new Float64Array(0);
  /** the time's own text, only where it is not the ISO form of atMs */
  private readonly atText = new Map<number, string>();
  /** a run id of up to RUN_BYTES ASCII characters, as bytes (0 ends a shorter one) */
  private runBytes = new Uint8Array(0);
  /** the run ids that do not fit their bytes */
  private readonly runText = new Map<number, string>();
  private figures = new Float64Array(0);
  private readonly columns: EndpointColumn[] = [];
  /** a line's endpoints that do not fit the columns, as parsed */
  private readonly endpointObjects = new Map<number, Record<string, EndpointPoint>>();
  /** values of a kept line that were ignored */
  private readonly rejected = new Map<number, Rejected[]>();

  constructor(readonly capacity: number) {}

  /** Before the ring first wraps, its arrays grow with the lines (never past the capacity). */
  private grow(): void {
    const size = Math.min(this.capacity, Math.max(64, this.size * 2));
    const wider = <T extends Int8Array | Int16Array | Uint8Array | Float64Array>(
      a: T,
      make: (n: number) => T,
      k = 1,
    ) => {
      const b = make(size * k);
      b.set(a);
      return b;
    };
    this.status = wider(this.status, (n) => new Int8Array(n));
    this.atMs = wider(this.atMs, (n) => new Float64Array(n));
    this.figures = wider(this.figures, (n) => new Float64Array(n), 3);
    this.runBytes = wider(this.runBytes, (n) => new Uint8Array(n), RUN_BYTES);
    for (const c of this.columns) {
      c.code = wider(c.code, (n) => new Int16Array(n).fill(NONE));
      c.up = wider(c.up, (n) => new Uint8Array(n));
      c.latency = wider(c.latency, (n) => new Float64Array(n));
    }
    this.size = size;
  }

  /** One in-window line, parsed (undefined when it was no point) with what it had ignored. */
  push(point: HistoryPoint | undefined, rejected: readonly Rejected[]): void {
    if (this.seen === this.size && this.size < this.capacity) this.grow();
    const slot = this.seen % this.capacity;
    this.seen += 1;
    this.atText.delete(slot);
    this.runText.delete(slot);
    this.endpointObjects.delete(slot);
    if (rejected.length > 0) this.rejected.set(slot, [...rejected]);
    else this.rejected.delete(slot);
    for (const c of this.columns) c.code[slot] = NONE;
    if (!point) {
      this.status[slot] = NONE;
      return;
    }
    this.status[slot] = STATUSES.indexOf(point.status);
    const ms = Date.parse(point.at);
    this.atMs[slot] = ms;
    if (new Date(ms).toISOString() !== point.at) this.atText.set(slot, point.at);
    this.putRun(slot, point.run);
    this.figures[slot * 3] = point.disk ?? Number.NaN;
    this.figures[slot * 3 + 1] = point.memory ?? Number.NaN;
    this.figures[slot * 3 + 2] = point.load ?? Number.NaN;
    if (!this.intoColumns(slot, point.endpoints)) this.endpointObjects.set(slot, point.endpoints);
  }

  /** The kept points, oldest first, and what their lines had ignored. */
  take(): { points: HistoryPoint[]; rejected: Rejected[] } {
    const points: HistoryPoint[] = [];
    const rejected: Rejected[] = [];
    const kept = Math.min(this.seen, this.capacity);
    for (let i = this.seen - kept; i < this.seen; i++) {
      const slot = i % this.capacity;
      for (const r of this.rejected.get(slot) ?? []) rejected.push(r);
      const p = this.point(slot);
      if (p) points.push(p);
    }
    return { points, rejected };
  }

  private point(slot: number): HistoryPoint | undefined {
    const status = STATUSES[this.status[slot] ?? NONE];
    if (!status) return undefined;
    const run = this.runAt(slot);
    const at = this.atText.get(slot) ?? new Date(this.atMs[slot] ?? 0).toISOString();
    const point: HistoryPoint = { at, run, status, endpoints: this.endpointsAt(slot) };
    const [disk, memory, load] = [0, 1, 2].map((k) => this.figures[slot * 3 + k] ?? Number.NaN);
    if (!Number.isNaN(disk)) point.disk = disk;
    if (!Number.isNaN(memory)) point.memory = memory;
    if (!Number.isNaN(load)) point.load = load;
    return point;
  }

  private putRun(slot: number, run: string): void {
    const base = slot * RUN_BYTES;
    let i = 0;
    for (; i < run.length && i < RUN_BYTES; i++) {
      const c = run.charCodeAt(i);
      // only printable ASCII is held as bytes; anything else keeps its string
      if (c < 0x21 || c > 0x7e) break;
      this.runBytes[base + i] = c;
    }
    if (i < run.length) this.runText.set(slot, run);
    else if (i < RUN_BYTES) this.runBytes[base + i] = 0;
  }

  private runAt(slot: number): string {
    const text = this.runText.get(slot);
    if (text !== undefined) return text;
    const base = slot * RUN_BYTES;
    let end = base;
    while (end < base + RUN_BYTES && this.runBytes[end] !== 0) end++;
    return String.fromCharCode(...this.runBytes.subarray(base, end));
  }

  /** Columns hold the endpoints when each id has (or gets) one, in the columns' order. */
  private intoColumns(slot: number, endpoints: Record<string, EndpointPoint>): boolean {
    const ids = Object.keys(endpoints);
    let last = -1;
    for (const id of ids) {
      let at = this.columns.findIndex((c) => c.id === id);
      // a new column comes after every existing one: this line's order is kept
      if (at < 0 && this.columns.length < ENDPOINT_COLUMNS) {
        this.columns.push({
          id,
          code: new Int16Array(this.size).fill(NONE),
          up: new Uint8Array(this.size),
          latency: new Float64Array(this.size),
        });
        at = this.columns.length - 1;
      }
      if (at < 0 || at <= last) return false;
      last = at;
    }
    for (const id of ids) {
      const c = this.columns.find((col) => col.id === id);
      const e = endpoints[id];
      if (!c || !e) continue;
      c.code[slot] = e.code;
      c.up[slot] = e.up ? 1 : 0;
      c.latency[slot] = e.latencyMs ?? Number.NaN;
    }
    return true;
  }

  private endpointsAt(slot: number): Record<string, EndpointPoint> {
    const own = this.endpointObjects.get(slot);
    if (own) return own;
    const endpoints: Record<string, EndpointPoint> = {};
    for (const c of this.columns) {
      const code = c.code[slot] ?? NONE;
      if (code === NONE) continue;
      const latency = c.latency[slot] ?? Number.NaN;
      endpoints[c.id] = {
        up: c.up[slot] === 1,
        code,
        ...(Number.isNaN(latency) ? {} : { latencyMs: latency }),
      };
    }
    return endpoints;
  }
}
