/**
 * Names of the pods a controller creates from its template (Kubernetes' name generator for
 * GetPodFromTemplate): generateName `<owner name>-`, the apiserver adds five random characters.
 * Shared by ReplicaSets and Jobs.
 */

/** Longest generateName base, so that base + 5 random characters is a 63-character DNS label. */
const MAX_GENERATED_BASE = 58;

/** "<name>-", cut to 58 characters as Kubernetes' name generator does. */
export function podNamePrefix(ownerName: string): string {
  return `${ownerName}-`.slice(0, MAX_GENERATED_BASE);
}
