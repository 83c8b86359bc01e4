/** The kubelet's volume manager: pod volumes on the node, their files, and the containers' binds. */
export * from './atomic-writer';
export * from './downward-api';
export * from './host-path';
export * from './mounts';
export * from './projection';
export * from './volume-layout';
export * from './volume-manager';
