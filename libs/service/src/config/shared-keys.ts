/** Keys several components declare alike (apiserver address, NATS, metrics, leader election). */
import { key, type ConfigValues } from './config-schema';
import { t } from './config-types';

/** --server: the apiserver addresses (host:port, comma separated); at least one. */
export function serverKey() {
  return key(t.addresses({ minItems: 1, itemName: 'apiserver address' }), { default: ['127.0.0.1:6443'], help: 'apiserver gRPC addresses (host:port), comma separated' });
}

/** --nats: NATS server URLs (nats://host:port), at least one. */
export function natsKey() {
  return key(t.urls(['nats'], { minItems: 1, itemName: 'NATS URL' }), { default: ['nats://127.0.0.1:4222'], help: 'NATS server URLs, comma separated' });
}

/** --metrics-listen: the Prometheus /metrics and /healthz address. */
export function metricsListenKey(defaultAddress: string) {
  return key(t.address(), { default: defaultAddress, help: 'Prometheus /metrics and /healthz address (port 0: any free port)' });
}

/** The --leader-elect* keys of a component that campaigns for the skiff-system/`lease` Lease. */
export function leaderElectionKeys(lease: string) {
  return {
    leaderElect: key(t.bool(), { default: true, help: `campaign for the skiff-system/${lease} Lease before working` }),
    leaderElectIdentity: key(t.string(), { optional: true, defaultText: 'hostname_random', help: 'this replica in the Lease' }),
    leaderElectLeaseDuration: key(t.duration({ min: 0, aboveMin: true }), { default: 15_000, help: 'lease duration' }),
    leaderElectRenewDeadline: key(t.duration({ min: 0, aboveMin: true }), { default: 10_000, help: 'the leader gives up when it could not renew for this long' }),
    leaderElectRetryPeriod: key(t.duration({ min: 0, aboveMin: true }), { default: 2_000, help: 'time between attempts to acquire or renew' }),
  };
}

type LeaderElectionValues = ConfigValues<ReturnType<typeof leaderElectionKeys>>;

/** The libs' leader election settings: false when --leader-elect is false. */
export function leaderElectionConfig(values: LeaderElectionValues): false | { identity?: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } {
  if (!values.leaderElect) return false;
  return { identity: values.leaderElectIdentity, leaseDurationMs: values.leaderElectLeaseDuration, renewDeadlineMs: values.leaderElectRenewDeadline, retryPeriodMs: values.leaderElectRetryPeriod };
}

/** Cross-key check: retry period < renew deadline < lease duration (as Kubernetes' leader election requires). */
export function checkLeaderElection(values: LeaderElectionValues, describe: (key: keyof LeaderElectionValues) => string): string | undefined {
  if (!values.leaderElect) return undefined;
  if (values.leaderElectRenewDeadline >= values.leaderElectLeaseDuration) {
    return `${describe('leaderElectRenewDeadline')} must be shorter than ${describe('leaderElectLeaseDuration')}`;
  }
  if (values.leaderElectRetryPeriod >= values.leaderElectRenewDeadline) {
    return `${describe('leaderElectRetryPeriod')} must be shorter than ${describe('leaderElectRenewDeadline')}`;
  }
  return undefined;
}

/** "host:port" for an IP or host name (IPv6 in brackets). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

