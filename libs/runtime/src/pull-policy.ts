/** imagePullPolicy as Kubernetes defines it. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** What ensureImage must do for a policy given whether the image is present on the node. */
export type PullDecision = 'pull' | 'use-local' | 'never-pull-missing';

/**
 * The pull decision: Always pulls (the registry is the truth; the pull is cheap when layers are
 * present); IfNotPresent pulls only a missing image; Never uses a present image and otherwise
 * fails with ErrImageNeverPull. An unknown or empty policy counts as IfNotPresent.
 */
export function pullDecision(policy: string, present: boolean): PullDecision {
  if (policy === 'Always') return 'pull';
  if (policy === 'Never') return present ? 'use-local' : 'never-pull-missing';
  return present ? 'use-local' : 'pull';
}

/** Splits "repo[:tag]" or "repo@digest" as Docker's pull API wants; the tag defaults to latest. */
export function splitImage(image: string): { repo: string; tag: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repo: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/')) return { repo: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repo: image, tag: 'latest' };
}
