/**
 * The node port range (--service-node-port-range, default 30000-32767): parsing and picking a
 * free port. Pure.
 */

export interface NodePortRange {
  min: number;
  max: number;
}

/** The default range (--service-node-port-range), as Kubernetes'. */
export const DEFAULT_NODE_PORT_RANGE: Readonly<NodePortRange> = { min: 30000, max: 32767 };

/** Parses "min-max" (1 <= min <= max <= 65535). Throws Error naming the problem. */
export function parseNodePortRange(text: string): NodePortRange {
  const match = /^\s*([0-9]{1,5})\s*-\s*([0-9]{1,5})\s*$/.exec(text);
  const min = Number(match?.[1]);
  const max = Number(match?.[2]);
  if (!match || min < 1 || max > 65535 || min > max) throw new Error(`invalid node port range "${text}": want min-max within 1-65535, e.g. 30000-32767`);
  return { min, max };
}

/** The range as "min-max". */
export function formatNodePortRange(range: NodePortRange): string {
  return `${range.min}-${range.max}`;
}

/** True when port lies in the range. */
export function portInRange(range: NodePortRange, port: number): boolean {
  return Number.isInteger(port) && port >= range.min && port <= range.max;
}

/**
 * A free port: starting at a random one (`random(n)` returns an integer in [0, n)), the first
 * not in `taken`; undefined when the range is full.
 */
export function pickFreePort(range: NodePortRange, taken: ReadonlySet<number>, random: (n: number) => number): number | undefined {
  const count = range.max - range.min + 1;
  const start = random(count);
  for (let i = 0; i < count; i++) {
    const port = range.min + ((start + i) % count);
    if (!taken.has(port)) return port;
  }
  return undefined;
}
