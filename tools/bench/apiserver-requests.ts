/**
 * What a benchmark phase asked of the apiserver: the deltas of skiff_apiserver_requests_total
 * (by verb and resource) between two scrapes of its /metrics, to show where the load comes from.
 */
export type RequestCounts = Map<string, number>;

/** The apiserver's request counters now ("verb resource" -> count, every gRPC code summed). */
export async function scrapeRequests(metricsAddress: string): Promise<RequestCounts> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const counts: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('skiff_apiserver_requests_total{')) continue;
    const verb = /verb="([^"]*)"/.exec(line)?.[1] ?? '';
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const key = `${verb} ${resource}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + value);
  }
  return counts;
}

/** "create pods 500, update pods 1000, ..." for the counters that grew between `before` and `after` (largest first). */
export function describeRequests(before: RequestCounts, after: RequestCounts, top = 8): string {
  const deltas = [...after].map(([key, value]) => [key, value - (before.get(key) ?? 0)] as const).filter(([, d]) => d > 0);
  deltas.sort((a, b) => b[1] - a[1]);
  const total = deltas.reduce((sum, [, d]) => sum + d, 0);
  return `${total} requests: ${deltas.slice(0, top).map(([key, d]) => `${key} ${d}`).join(', ')}`;
}
