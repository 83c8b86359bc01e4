/**
 * The serviceaccount controller (Kubernetes' "serviceaccount" controller), the I/O half: every
 * namespace that is not terminating has a ServiceAccount `default`, created when the namespace
 * appears and created again when someone deletes it (the decision is service-account-plan.ts).
 *
 * Keys are namespace names. A namespace change enqueues it; a deleted managed ServiceAccount
 * enqueues its namespace. A reconcile reads both from the caches and creates what is missing;
 * AlreadyExists (created meanwhile) is success, and so are NotFound / Forbidden when the
 * namespace went or started terminating in between (the next event says so). Other errors are
 * retried with backoff.
 */
import { AlreadyExistsError, ForbiddenError, keyOf, NotFoundError } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { MANAGED_SERVICE_ACCOUNTS, missingServiceAccounts } from './service-account-plan';

/** Builds the serviceaccount controller. */
export function serviceAccountController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'serviceaccount' });
  const namespaces = ctx.informers.get('namespace');
  const accounts = ctx.informers.get('serviceAccount');
  const client = typed(ctx.client, 'serviceAccount');

  const controller = new Controller({
    name: 'serviceaccount',
    workers: ctx.tuning.workers,
    log: ctx.log,
    registry: ctx.registry,
    reconcile: async (namespace, signal) => {
      const missing = missingServiceAccounts(namespaces.get(namespace), (name) => accounts.get(keyOf({ namespace, name })) !== undefined);
      for (const account of missing) {
        try {
          await client.create(account, { signal });
          log.info({ namespace, serviceAccount: account.metadata?.name }, 'created service account');
        } catch (err) {
          if (err instanceof AlreadyExistsError || err instanceof NotFoundError || err instanceof ForbiddenError) continue;
          throw err;
        }
      }
    },
  });
  controller.watch(namespaces, (ns) => ns.metadata?.name);
  controller.watch(accounts, (sa) => (MANAGED_SERVICE_ACCOUNTS.includes(sa.metadata?.name ?? '') ? sa.metadata?.namespace : undefined));
  return controller;
}
