/**
 * Matching of node selector terms lives in @skiff/api (shared with the DaemonSet controller);
 * re-exported here for the scheduler's plugins.
 */
export { anyTermMatches, termMatches } from '@skiff/api';
