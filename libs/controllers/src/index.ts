export * from './controller-context';
export * from './controller-manager';
export * from './controller-registry';
export * from './owner-refs';
export { DEFAULT_NODE_IPAM, type NodeIpamConfig } from './node-ipam/node-cidr-plan';
