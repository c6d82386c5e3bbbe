/**
 * The did-you-mean of every unknown name: option names (through the options
 * tables, `option_rules.ts`), `VECTORVUE_*` variables, CLI flags and commands.
 *
 * @module
 */

/** Letters only, lower case: `VECTORVUE_BASEURL` and `VECTORVUE_BASE_URL` compare equal. */
function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Optimal string alignment distance (a swap of neighbours counts one), capped for speed. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2] + 1);
      }
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > cap) return cap + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * The known name `name` most likely misspells, or `undefined` when none is
 * close: the same letters ignoring case and separators, a missing unit
 * suffix (`flushInterval` for `flushIntervalMs`), or a few typos.
 */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  const squashed = squash(name);
  if (squashed.length === 0) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const other = squash(candidate);
    if (other === squashed) return candidate;
    const cap = Math.max(1, Math.min(3, Math.floor(other.length / 4)));
    let distance = editDistance(squashed, other, cap);
    if (distance > cap && squashed.length >= 4 && other.startsWith(squashed)) distance = cap;
    if (distance <= cap && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
