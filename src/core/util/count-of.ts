/** "1 server", "2 servers", "0 actions": every count a person reads, in one place. */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
