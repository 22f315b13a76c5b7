/**
 * A record keyed by names from the config or a server (server names, service names): with no
 * prototype, so a server called `constructor` or `toString` looks up its own entry or nothing —
 * never a function inherited from Object.prototype.
 */
export function byName<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) out[key] = value;
  return out;
}
