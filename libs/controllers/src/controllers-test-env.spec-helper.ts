/**
 * Test helper: what the controllers' integration specs run against. Real etcd, NATS and the built
 * apiserver (startApiserverEnv), a client of it, and runControllerManager in-process with only the
 * chosen controllers and no leader election. A spec can stop the controller-manager, change the
 * cluster while it is down, and start a new one (no memory: it starts from a fresh List).
 */
import type { KindCase } from '@skiff/api';
import { connect, typed, type SkiffClient, type TypedClient } from '@skiff/client';
import { createLogger } from '@skiff/service';
import { startApiserverEnv, type ApiserverEnv } from '@skiff/testing';
import type { ControllerTuning } from './controller-context';
import { runControllerManager } from './controller-manager';

export interface ControllersTestEnvOptions {
  /** The controllers to run, by registry name (as --controllers), e.g. ['replicaset']. */
  controllers: string[];
  /** Tuning over DEFAULT_TUNING, e.g. short grace periods. */
  tuning?: Partial<ControllerTuning>;
  /** Extra apiserver flags, e.g. ['--default-toleration-seconds', '2']. */
  apiserverArgs?: string[];
  /** The controllers' clock (ControllerContext.now); Date.now. */
  now?: () => number;
}

/** A running environment; stop() it in afterAll. */
export interface ControllersTestEnv {
  /** etcd, NATS and the apiserver. */
  services: ApiserverEnv;
  /** A client of the apiserver (10 s per call). */
  client: SkiffClient;
  /** The typed client of one kind over `client`. */
  typed<C extends KindCase>(kind: C): TypedClient<C>;
  /** Starts a new controller-manager (the chosen controllers, fresh caches); no-op while one runs. */
  startControllers(): void;
  /** Stops the controller-manager and resolves once it has stopped; no-op when none runs. */
  stopControllers(): Promise<void>;
  /** stopControllers, then startControllers: a restart with no memory. */
  restartControllers(): Promise<void>;
  /** Stops the controller-manager, closes the client, stops the apiserver, NATS and etcd. */
  stop(): Promise<void>;
}

/**
 * Starts the services, connects a client and starts the controller-manager; resolves once the
 * apiserver serves (the controllers start in the background, as in a real process).
 */
export async function startControllersTestEnv(options: ControllersTestEnvOptions): Promise<ControllersTestEnv> {
  // ServiceAccount admission needs the `default` accounts, which only the serviceaccount controller creates.
  const services = await startApiserverEnv({ apiserverArgs: options.apiserverArgs, serviceAccountAdmission: options.controllers.includes('serviceaccount') });
  const client = connect(services.apiserver.address, { timeoutMs: 10_000 });
  let manager: { stop: AbortController; done: Promise<void> } | undefined;

  const env: ControllersTestEnv = {
    services,
    client,
    typed: (kind) => typed(client, kind),
    startControllers() {
      if (manager) return;
      const stop = new AbortController();
      const done = runControllerManager(
        {
          server: services.apiserver.address,
          nats: [services.nats.url],
          metricsListen: '127.0.0.1:0',
          logger: createLogger('controller-manager', 'warn'),
          controllers: options.controllers,
          leaderElection: false,
          tuning: options.tuning,
          now: options.now,
        },
        stop.signal,
      );
      manager = { stop, done };
    },
    async stopControllers() {
      const running = manager;
      manager = undefined;
      running?.stop.abort();
      await running?.done;
    },
    async restartControllers() {
      await env.stopControllers();
      env.startControllers();
    },
    async stop() {
      await env.stopControllers();
      client.close();
      await services.stop();
    },
  };
  env.startControllers();
  return env;
}
