/**
 * The HorizontalPodAutoscaler part of `skiff describe`, as kubectl's describeHorizontalPodAutoscalerV2:
 * Reference, Metrics (current / target for each metric, by position in status.currentMetrics),
 * Min/Max replicas, Behavior when set, "<Kind> pods: N current / M desired" and the conditions.
 * Pure: writes lines through the describer it is given.
 */
import type { HorizontalPodAutoscaler, HPAScalingRules, MetricSpec, MetricStatus } from '@skiff/api';
import { renderTable } from './table';

/** The part of describe.ts' Describer this needs. */
export interface DescribeLines {
  field(level: number, key: string, value: string | number | undefined, width?: number): void;
  line(level: number, text: string): void;
}

/** One metric's "label", "current / target" pair (kubectl's wording). */
export function describeMetric(metric: Readonly<MetricSpec>, status: Readonly<MetricStatus> | undefined): [string, string] {
  const resource = metric.resource;
  if (metric.type !== 'Resource' || !resource) return [`${metric.type || '<unknown>'} metric`, '<unknown> / <unknown>'];
  const current = status?.resource?.current;
  if (resource.target?.averageValue) {
    return [`resource ${resource.name} on pods`, `${current?.averageValue || '<unknown>'} / ${resource.target.averageValue}`];
  }
  const now = current?.averageUtilization !== undefined ? `${current.averageUtilization}% (${current.averageValue || '0'})` : '<unknown>';
  const target = resource.target?.averageUtilization !== undefined ? `${resource.target.averageUtilization}%` : '<auto>';
  return [`resource ${resource.name} on pods  (as a percentage of request)`, `${now} / ${target}`];
}

function describeRules(d: DescribeLines, direction: string, rules: Readonly<HPAScalingRules> | undefined): void {
  if (!rules) return;
  d.line(1, `${direction}:`);
  if (rules.stabilizationWindowSeconds !== undefined) d.line(2, `Stabilization Window: ${rules.stabilizationWindowSeconds} seconds`);
  if (rules.policies.length > 0) {
    d.line(2, `Select Policy: ${rules.selectPolicy || 'Max'}`);
    d.line(2, 'Policies:');
    for (const p of rules.policies) d.line(3, `- Type: ${p.type}  Value: ${p.value}  Period: ${p.periodSeconds} seconds`);
  }
}

/** Writes the HPA's describe fields (after the common metadata fields). */
export function describeHpa(d: DescribeLines, hpa: Readonly<HorizontalPodAutoscaler>): void {
  const spec = hpa.spec;
  const status = hpa.status;
  d.field(0, 'Reference', `${spec?.scaleTargetRef?.kind ?? ''}/${spec?.scaleTargetRef?.name ?? ''}`);
  d.field(0, 'Metrics', '( current / target )');
  (spec?.metrics ?? []).forEach((metric, i) => {
    const [label, value] = describeMetric(metric, status?.currentMetrics[i]);
    d.field(1, label, value);
  });
  d.field(0, 'Min replicas', spec?.minReplicas ?? 1);
  d.field(0, 'Max replicas', spec?.maxReplicas ?? 0);
  if (spec?.behavior) {
    d.line(0, 'Behavior:');
    describeRules(d, 'Scale Up', spec.behavior.scaleUp);
    describeRules(d, 'Scale Down', spec.behavior.scaleDown);
  }
  d.field(0, `${spec?.scaleTargetRef?.kind || 'Target'} pods`, `${status?.currentReplicas ?? 0} current / ${status?.desiredReplicas ?? 0} desired`);
  const conditions = status?.conditions ?? [];
  if (conditions.length > 0) {
    d.line(0, 'Conditions:');
    const rows = [['----', '------', '------', '-------'], ...conditions.map((c) => [c.type, c.status, c.reason, c.message])];
    for (const l of renderTable(['Type', 'Status', 'Reason', 'Message'], rows)) d.line(1, l);
  }
}
