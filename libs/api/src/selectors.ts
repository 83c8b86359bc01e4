/**
 * Label and field selectors. CONTRACT: parse functions throw InvalidError (field
 * "labelSelector"/"fieldSelector") on bad syntax; matchers are pure.
 */
import type { LabelSelector } from './gen';
import type { KindInfo, KubeObject } from './kinds';

export interface LabelMatcher {
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True when the selector selects everything. */
  readonly empty: boolean;
  toString(): string;
}

export interface FieldMatcher {
  matches(object: KubeObject): boolean;
  readonly empty: boolean;
}

/** Parses "app=web,tier!=db,env in (a,b),env notin (c),key,!key". */
export function parseLabelSelector(_selector: string): LabelMatcher {
  throw new Error('TODO(api helper)');
}

/** A matcher for a LabelSelector message (matchLabels + matchExpressions). */
export function labelSelectorMatcher(_selector: LabelSelector | undefined): LabelMatcher {
  throw new Error('TODO(api helper)');
}

/** Parses "metadata.name=web,spec.nodeName!=node-1" for a kind; unknown fields are InvalidError. */
export function parseFieldSelector(_info: KindInfo, _selector: string): FieldMatcher {
  throw new Error('TODO(api helper)');
}
