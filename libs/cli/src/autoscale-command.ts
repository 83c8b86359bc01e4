/**
 * `skiff autoscale deploy/web --min 1 --max 5 --cpu-percent 50 [--name N]`, as kubectl
 * autoscale: creates an autoscaling/v2 HorizontalPodAutoscaler named after the target (or
 * --name) that scales it, and prints `horizontalpodautoscaler.autoscaling/web autoscaled`.
 *   --min N          lower bound (unset or <= 0: the server's default, 1)
 *   --max N          upper bound, required, >= 1 and >= --min
 *   --cpu-percent N  target average CPU utilization (percent of requests); unset or <= 0: none
 *   --cpu V          "70%" (utilization) or a quantity ("500m"; a bare number is millicores: average value)
 *   --memory V       "60%" (utilization) or a quantity ("200Mi"; a bare number is MiB: average value)
 * Without any target the server's default applies (CPU at 80%). An autoscaler that already exists
 * is an error (exit 1), as are a missing target and a kind that cannot scale.
 */
import { AlreadyExistsError, findKind, HorizontalPodAutoscaler, isQuantity, NotFoundError, type KindInfo, type MetricSpec } from '@skiff/api';
import { typed } from '@skiff/client';
import { CliError, type CliContext } from './cli-context';
import { errorLine, isUnavailable } from './error-message';
import { parseResourceArgs } from './resource-args';
import { objectRef, qualifiedResource } from './resource-name';
import { SCALABLE_KINDS } from './scale-command';

export interface AutoscaleOptions {
  min?: string;
  max?: string;
  cpuPercent?: string;
  cpu?: string;
  memory?: string;
  name?: string;
}

/** What the flags ask for, validated. */
export interface AutoscaleRequest {
  /** Undefined: the server's default. */
  min?: number;
  max: number;
  metrics: MetricSpec[];
  name?: string;
}

const HPA = findKind('horizontalpodautoscalers')!;

/** An integer flag; throws kubectl's wording for anything else. */
function parseInteger(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new Error(`invalid argument "${value}" for "--${flag}" flag: must be an integer`);
  return n;
}

/**
 * A --cpu / --memory value as a metric target (kubectl's parseResourceInput): "70%" is a
 * utilization; a quantity ("500m", "2Gi") an average value; a bare number is millicores (cpu)
 * or mebibytes (memory). Throws for anything else.
 */
export function resourceTarget(resource: 'cpu' | 'memory', input: string): MetricSpec {
  const text = input.trim();
  const metric = (target: Partial<NonNullable<NonNullable<MetricSpec['resource']>['target']>>): MetricSpec => ({
    type: 'Resource',
    resource: { name: resource, target: { type: '', value: '', averageValue: '', averageUtilization: undefined, ...target } },
  });
  if (text === '') throw new Error('empty input');
  if (text.endsWith('%')) {
    const percent = text.slice(0, -1);
    if (!/^\d+$/.test(percent) || Number(percent) > 2 ** 31 - 1) throw new Error(`invalid percentage value: ${percent}`);
    return metric({ type: 'Utilization', averageUtilization: Number(percent) });
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    return metric({ type: 'AverageValue', averageValue: `${Number(text)}${resource === 'cpu' ? 'm' : 'Mi'}` });
  }
  if (!isQuantity(text)) throw new Error(`invalid resource ${resource} value: ${text}`);
  return metric({ type: 'AverageValue', averageValue: text });
}

/** Validates the flags (kubectl's Validate); throws an Error with kubectl's wording. */
export function parseAutoscaleOptions(options: AutoscaleOptions): AutoscaleRequest {
  if (options.max === undefined) throw new Error('required flag(s) "max" not set');
  const max = parseInteger('max', options.max);
  const min = options.min === undefined ? -1 : parseInteger('min', options.min);
  const cpuPercent = options.cpuPercent === undefined ? -1 : parseInteger('cpu-percent', options.cpuPercent);
  if (max < 1) throw new Error(`--max=MAXPODS is required and must be at least 1, max: ${max}`);
  if (max < min) throw new Error(`--max=MAXPODS must be larger or equal to --min=MINPODS, max: ${max}, min: ${min}`);
  if (cpuPercent > 0 && options.cpu) throw new Error('--cpu-percent and --cpu are mutually exclusive');
  const metrics: MetricSpec[] = [];
  if (cpuPercent > 0) metrics.push(resourceTarget('cpu', `${cpuPercent}%`));
  if (options.cpu) metrics.push(resourceTarget('cpu', options.cpu));
  if (options.memory) metrics.push(resourceTarget('memory', options.memory));
  return { min: min > 0 ? min : undefined, max, metrics, name: options.name || undefined };
}

/** The autoscaler `request` creates for the target `info`/`name` in `namespace`. */
export function autoscalerFor(request: AutoscaleRequest, info: Pick<KindInfo, 'kind' | 'apiVersion'>, name: string, namespace: string): HorizontalPodAutoscaler {
  return HorizontalPodAutoscaler.fromPartial({
    metadata: { name: request.name ?? name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: info.apiVersion, kind: info.kind, name },
      minReplicas: request.min,
      maxReplicas: request.max,
      metrics: request.metrics,
    },
  });
}

/** Runs autoscale; resolves with the exit code (1 when any target failed). */
export async function autoscaleCommand(ctx: CliContext, args: readonly string[], options: AutoscaleOptions): Promise<number> {
  let request: AutoscaleRequest;
  const targets: { info: KindInfo; name: string }[] = [];
  try {
    request = parseAutoscaleOptions(options);
    for (const { info, names } of parseResourceArgs(args)) {
      if (!SCALABLE_KINDS.includes(info.kind)) throw new Error(`cannot autoscale a ${info.kind}: only deployments and replicasets have a scale`);
      if (names.length === 0) throw new Error('resource(s) were provided, but no name was specified');
      targets.push(...names.map((name) => ({ info, name })));
    }
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const client = ctx.client();
  const hpas = typed(client, 'horizontalPodAutoscaler');
  let failed = false;
  for (const { info, name } of targets) {
    const hpa = autoscalerFor(request, info, name, ctx.namespace);
    const hpaName = hpa.metadata?.name ?? name;
    const fail = (err: unknown, line: string) => {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${line}\n`);
    };
    try {
      await client.get(info.resource, ctx.namespace, name, { signal: ctx.io.signal });
    } catch (err) {
      fail(err, err instanceof NotFoundError ? `error: ${qualifiedResource(info)} "${name}" not found` : errorLine(err));
      continue;
    }
    try {
      await hpas.create(hpa, { signal: ctx.io.signal });
      ctx.io.out(`${objectRef(HPA, hpaName)} autoscaled\n`);
    } catch (err) {
      fail(err, err instanceof AlreadyExistsError ? `error: ${qualifiedResource(HPA)} "${hpaName}" already exists` : errorLine(err, { kind: HPA.kind, name: hpaName }));
    }
  }
  return failed ? 1 : 0;
}
