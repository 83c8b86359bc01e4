/**
 * The apiserver's admission plugins, by Kubernetes' names, and which of them run: every one
 * unless named in --disable-admission-plugins (as kube-apiserver's flag of that name).
 *  - DefaultTolerationSeconds: pods get the not-ready / unreachable NoExecute tolerations
 *    (default-toleration-seconds.ts).
 *  - ServiceAccount: a new pod runs as an existing ServiceAccount (`default` when it names none)
 *    and gets its imagePullSecrets when it has none (service-account-admission.ts).
 *  - DefaultStorageClass: a claim without storageClassName gets the default class
 *    (storage-admission.ts).
 *  - StorageObjectInUseProtection: claims and volumes get their protection finalizers
 *    (storage-admission.ts).
 * CONTRACT: pure.
 */

export const ADMISSION_PLUGINS = ['DefaultTolerationSeconds', 'ServiceAccount', 'DefaultStorageClass', 'StorageObjectInUseProtection'] as const;
export type AdmissionPluginName = (typeof ADMISSION_PLUGINS)[number];

/** The plugins that run. */
export type EnabledAdmissionPlugins = ReadonlySet<AdmissionPluginName>;

/** Every plugin: what an apiserver runs when nothing is disabled. */
export const ALL_ADMISSION_PLUGINS: EnabledAdmissionPlugins = new Set(ADMISSION_PLUGINS);

/**
 * The plugins left after disabling `disabled` (names as given to --disable-admission-plugins,
 * blanks ignored). Throws an Error naming an unknown plugin, as kube-apiserver refuses to start.
 */
export function enabledAdmissionPlugins(disabled: readonly string[] = []): EnabledAdmissionPlugins {
  const names = disabled.map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(ADMISSION_PLUGINS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`admission plugin ${unknown.map((n) => `"${n}"`).join(', ')} is not known; known plugins: ${ADMISSION_PLUGINS.join(', ')}`);
  return new Set(ADMISSION_PLUGINS.filter((n) => !names.includes(n)));
}
