/**
 * Matching of node selector terms (required and preferred node affinity), shared by the
 * scheduler and the DaemonSet controller, with Kubernetes' rules: terms are ORed, the
 * requirements of a term ANDed; a term with no requirements matches nothing; an invalid
 * requirement (unknown operator, Gt/Lt without exactly one integer value, matchFields on
 * anything but metadata.name) makes its term match nothing.
 */
import type { Node, NodeSelectorRequirement, NodeSelectorTerm } from './gen';

const INTEGER = /^-?\d+$/;

function matchesRequirement(r: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(value);
    case 'NotIn':
      return !has || !r.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (r.values.length !== 1 || !INTEGER.test(r.values[0]) || !has || !INTEGER.test(value)) return false;
      const [a, b] = [BigInt(value), BigInt(r.values[0])];
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function matchesField(r: NodeSelectorRequirement, node: Readonly<Node>): boolean {
  if (r.key !== 'metadata.name') return false;
  if (r.operator !== 'In' && r.operator !== 'NotIn') return false;
  if (r.values.length !== 1) return false; // Kubernetes: exactly one value for a field requirement
  return matchesRequirement(r, { 'metadata.name': node.metadata?.name ?? '' });
}

/** True when the node satisfies every requirement of the term (and the term has at least one). */
export function termMatches(term: Readonly<NodeSelectorTerm> | undefined, node: Readonly<Node>): boolean {
  const expressions = term?.matchExpressions ?? [];
  const fields = term?.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  return expressions.every((r) => matchesRequirement(r, labels)) && fields.every((r) => matchesField(r, node));
}

/** True when the node satisfies at least one of the terms. */
export function anyTermMatches(terms: readonly NodeSelectorTerm[], node: Readonly<Node>): boolean {
  return terms.some((t) => termMatches(t, node));
}
