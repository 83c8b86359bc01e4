/** The CLI's own version, printed by `skiff version` (the commit is stamped in by the build). */
export const CLIENT_VERSION = 'v0.1.0';
export const CLIENT_COMMIT = process.env.SKIFF_BUILD_COMMIT ?? '';
