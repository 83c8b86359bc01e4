/**
 * The `skiff` command line (commander): global flags, one subcommand per verb, each delegating to
 * its *-command module. `runCli` never exits the process; it resolves with the exit code.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { SkiffClient } from '@skiff/client';
import { applyCommand } from './apply-command';
import { autoscaleCommand, type AutoscaleOptions } from './autoscale-command';
import { CliError, type CliContext, type CliIo, type Connect } from './cli-context';
import { CLIENT_VERSION } from './client-version';
import { cordonCommand } from './cordon-command';
import { resolveServer } from './config';
import { createJobCommand, type CreateJobOptions } from './create-job-command';
import { deleteCommand, type DeleteOptions } from './delete-command';
import { describeCommand } from './describe-command';
import { drainCommand, type DrainOptions } from './drain-command';
import { errorLine } from './error-message';
import { execCommand } from './exec-command';
import { getCommand, type GetOptions } from './get-command';
import { labelCommand, type LabelOptions } from './label-command';
import { logsCommand, type LogsOptions } from './logs-command';
import {
  rolloutHistoryCommand,
  rolloutPauseCommand,
  rolloutRestartCommand,
  rolloutResumeCommand,
  rolloutStatusCommand,
  rolloutUndoCommand,
  type RolloutStatusOptions,
} from './rollout-command';
import { setImageCommand } from './set-image-command';
import { topNodeCommand, topPodCommand, type TopOptions } from './top-command';
import { scaleCommand, type ScaleOptions } from './scale-command';
import { taintCommand, type TaintOptions } from './taint-command';
import { versionCommand } from './version-command';
import { waitCommand, type WaitOptions } from './wait-command';

interface GlobalOptions {
  server?: string;
  config?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Parses `argv` (without "node" and the script) and runs the command. Resolves with the exit
 * code: 0 on success, 1 after printing one `error: ...` line per failure.
 */
export async function runCli(argv: readonly string[], io: CliIo, connect: Connect): Promise<number> {
  let client: SkiffClient | undefined;
  let server: string | undefined;
  let exitCode = 0;
  const program = new Command('skiff');

  const context = (command: Command): CliContext => {
    const g = command.optsWithGlobals<GlobalOptions>();
    server = resolveServer({ server: g.server, config: g.config, env: io.env, home: io.home, readFile: readIfExists }).server;
    return {
      io,
      namespace: g.namespace || 'default',
      namespaceExplicit: Boolean(g.namespace),
      allNamespaces: Boolean(g.allNamespaces),
      server: server!,
      client: () => (client ??= connect(server!)),
    };
  };

  program
    .description('skiff controls a Skiff cluster (kubectl-style).')
    .version(CLIENT_VERSION, '--client-version', 'print the client version')
    .option('-s, --server <address>', 'the apiserver address host:port (env SKIFF_SERVER; default 127.0.0.1:6443)')
    .option('--config <file>', 'config file with "server: host:port" (env SKIFF_CONFIG; default ~/.skiff/config)')
    .option('-n, --namespace <namespace>', 'the namespace (default "default")')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run skiff --help for usage)');

  program
    .command('apply')
    .description('create or update objects from manifests (files, directories, - for stdin)')
    .requiredOption('-f, --filename <path>', 'a manifest file, a directory of them, or - (repeatable)', collect)
    .action(async (options: { filename: string[] }, command: Command) => {
      exitCode = await applyCommand(context(command), options.filename);
    });

  program
    .command('get')
    .description('list objects: get TYPE[,TYPE...] [NAME...]')
    .argument('<type>', 'pods, services, deployments, ... or all (or TYPE/NAME)')
    .argument('[names...]', 'object names')
    .option('-o, --output <format>', 'wide, yaml, json or name')
    .option('-l, --selector <selector>', 'label selector: app=web,tier!=db')
    .option('--field-selector <selector>', 'field selector: metadata.name=web, spec.nodeName=node-1')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--show-labels', 'show labels as the last column')
    .action(async (type: string, names: string[], options: GetOptions, command: Command) => {
      exitCode = await getCommand(context(command), [type, ...names], options);
    });

  program
    .command('describe')
    .description('show details of objects and their events: describe TYPE [NAME...]')
    .argument('<type>')
    .argument('[names...]')
    .action(async (type: string, names: string[], _options: unknown, command: Command) => {
      exitCode = await describeCommand(context(command), [type, ...names]);
    });

  program
    .command('delete')
    .description('delete objects by type and name, or those in manifests (-f)')
    .argument('[type]')
    .argument('[names...]')
    .option('-f, --filename <path>', 'delete the objects in a manifest file or directory (repeatable)', collect)
    .option('--grace-period <seconds>', 'seconds the object gets to terminate gracefully (-1: its default)')
    .option('--now', 'signal the object to stop immediately (grace period 1)')
    .option('--wait [bool]', 'wait until the objects are gone (default true)')
    .option('--timeout <duration>', 'how long to wait, e.g. 60s', '60s')
    .option('--ignore-not-found', 'succeed when an object does not exist')
    .option('--cascade [mode]', 'what happens to dependents: background (default), foreground (they go first) or orphan (they stay)')
    .action(async (type: string | undefined, names: string[], options: DeleteOptions, command: Command) => {
      exitCode = await deleteCommand(context(command), type ? [type, ...names] : names, options);
    });

  program
    .command('scale')
    .description('set the replicas of deployments or replicasets: scale TYPE NAME | TYPE/NAME --replicas COUNT')
    .argument('<type>', 'deployment, replicaset (or TYPE/NAME)')
    .argument('[names...]', 'object names')
    .option('--replicas <count>', 'the new number of replicas (required)')
    .option('--current-replicas <count>', 'precondition: only scale if the current replicas match (-1: no condition)')
    .option('--resource-version <version>', 'precondition: only scale if the resourceVersion matches')
    .option('-l, --selector <selector>', 'scale every object of the type matching this label selector')
    .option('--all', 'scale every object of the type in the namespace')
    .action(async (type: string, names: string[], options: ScaleOptions, command: Command) => {
      exitCode = await scaleCommand(context(command), [type, ...names], options);
    });

  program
    .command('autoscale')
    .description('create a HorizontalPodAutoscaler for a deployment or replicaset: autoscale TYPE NAME | TYPE/NAME --max N [--min N] [--cpu-percent N]')
    .argument('<type>', 'deployment, replicaset (or TYPE/NAME)')
    .argument('[names...]', 'object names')
    .option('--min <count>', 'lower limit of replicas (default: the server\'s, 1)')
    .option('--max <count>', 'upper limit of replicas (required)')
    .option('--cpu-percent <percent>', 'target average CPU utilization, percent of the requests (default: the server\'s, 80%)')
    .option('--cpu <target>', 'target CPU: "70%" (utilization) or a quantity such as 500m (average value)')
    .option('--memory <target>', 'target memory: "60%" (utilization) or a quantity such as 200Mi (average value)')
    .option('--name <name>', 'the autoscaler\'s name (default: the target\'s)')
    .action(async (type: string, names: string[], options: AutoscaleOptions, command: Command) => {
      exitCode = await autoscaleCommand(context(command), [type, ...names], options);
    });

  program
    .command('create')
    .description('create an object from flags: create job')
    .command('job')
    .description('create a Job: create job NAME --image=IMAGE [-- COMMAND [ARGS...]] | create job NAME --from=cronjob/NAME')
    .argument('[name]', 'the Job\'s name')
    .argument('[command...]', 'with --image: the command and its arguments, after --')
    .option('--image <image>', 'the image of the Job\'s one container (restartPolicy Never)')
    .option('--from <resource>', 'cronjob/NAME: a Job from that CronJob\'s jobTemplate (a manual run)')
    .action(async (name: string | undefined, args: string[], options: CreateJobOptions, command: Command) => {
      exitCode = await createJobCommand(context(command), name, args, options);
    });

  program
    .command('wait')
    .description('wait for a condition on objects: wait --for=condition=Complete job/NAME | --for=delete pod/NAME [--timeout=30s]')
    .argument('<type>', 'TYPE/NAME..., or TYPE then names (or -l / --all)')
    .argument('[names...]', 'object names')
    .option('--for <condition>', 'condition=NAME[=VALUE] (VALUE default true), delete, or jsonpath={.path}[=VALUE]')
    .option('--timeout <duration>', 'how long to wait for all the objects, e.g. 60s (0: check once)', '30s')
    .option('-l, --selector <selector>', 'wait for every object of the type matching this label selector')
    .option('--all', 'wait for every object of the type in the namespace')
    .action(async (type: string, names: string[], options: WaitOptions, command: Command) => {
      exitCode = await waitCommand(context(command), [type, ...names], options);
    });

  program
    .command('logs')
    .description("print a container's logs: logs POD | TYPE/NAME (job/pi, deploy/web: one of its pods) [-c CONTAINER]")
    .argument('<pod>', 'POD, pod/POD, or job/NAME, deployment/NAME, replicaset/NAME, service/NAME')
    .option('-c, --container <name>', 'the container (default: the only one)')
    .option('-f, --follow', 'keep streaming new output')
    .option('-p, --previous', 'the previous instance of a restarted container')
    .option('--tail <lines>', 'only the last lines (-1: all)')
    .option('--timestamps', 'prefix each line with its time')
    .option('--pod-running-timeout <duration>', 'for TYPE/NAME: how long to wait for a pod to exist', '20s')
    .action(async (pod: string, options: LogsOptions, command: Command) => {
      exitCode = await logsCommand(context(command), pod, options);
    });

  program
    .command('exec')
    .description('run a command in a container: exec POD [-c CONTAINER] -- COMMAND [ARGS...]')
    .argument('<pod>')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('-c, --container <name>', 'the container (default: the only one)')
    .action(async (pod: string, args: string[], options: { container?: string }, command: Command) => {
      exitCode = await execCommand(context(command), pod, args, options);
    });

  const rollout = program.command('rollout').description('manage the rollout of a deployment or daemon set: rollout SUBCOMMAND deploy/NAME | ds/NAME');
  rollout
    .command('status')
    .description('show the status of the rollout until it is done')
    .argument('<resource...>', 'deploy/NAME, ds/NAME or deployment NAME')
    .option('--timeout <duration>', 'how long to wait before giving up, e.g. 5m (0: forever)', '0s')
    .option('-w, --watch [bool]', 'watch until the rollout is done (default true)')
    .option('--revision <n>', 'only succeed for this revision')
    .action(async (resource: string[], options: RolloutStatusOptions, command: Command) => {
      exitCode = await rolloutStatusCommand(context(command), resource, options);
    });
  rollout
    .command('history')
    .description('show the revisions, or one revision in detail')
    .argument('<resource...>')
    .option('--revision <n>', 'show the details of this revision')
    .action(async (resource: string[], options: { revision?: string }, command: Command) => {
      exitCode = await rolloutHistoryCommand(context(command), resource, options);
    });
  rollout
    .command('undo')
    .description('roll back to the previous revision, or to --to-revision')
    .argument('<resource...>')
    .option('--to-revision <n>', 'the revision to roll back to (0: the previous one)', '0')
    .action(async (resource: string[], options: { toRevision?: string }, command: Command) => {
      exitCode = await rolloutUndoCommand(context(command), resource, options);
    });
  rollout
    .command('pause')
    .description('pause the rollout: template changes wait, scaling still applies')
    .argument('<resource...>')
    .action(async (resource: string[], _options: unknown, command: Command) => {
      exitCode = await rolloutPauseCommand(context(command), resource);
    });
  rollout
    .command('resume')
    .description('resume a paused rollout')
    .argument('<resource...>')
    .action(async (resource: string[], _options: unknown, command: Command) => {
      exitCode = await rolloutResumeCommand(context(command), resource);
    });
  rollout
    .command('restart')
    .description('restart every pod through a rollout')
    .argument('<resource...>')
    .action(async (resource: string[], _options: unknown, command: Command) => {
      exitCode = await rolloutRestartCommand(context(command), resource);
    });

  program
    .command('set')
    .description('set a field of objects: set image')
    .command('image')
    .description("update the image of a deployment's containers: set image deploy/NAME CONTAINER=IMAGE ... (* for all)")
    .argument('<args...>', 'deploy/NAME (or deployment NAME) then CONTAINER=IMAGE pairs')
    .action(async (args: string[], _options: unknown, command: Command) => {
      exitCode = await setImageCommand(context(command), args);
    });

  const top = program.command('top').description('show CPU and memory use of nodes or pods (the kubelets\' latest samples): top node | top pod');
  top
    .command('node')
    .aliases(['nodes', 'no'])
    .description('CPU and memory use of nodes, and their share of allocatable: top node [NAME | -l selector]')
    .argument('[name...]')
    .option('-l, --selector <selector>', 'label selector: zone=a')
    .option('--sort-by <field>', 'cpu or memory, largest first')
    .option('--no-headers', 'leave out the header line')
    .action(async (names: string[], options: TopOptions & { headers?: boolean }, command: Command) => {
      exitCode = await topNodeCommand(context(command), names, { ...options, noHeaders: options.headers === false });
    });
  top
    .command('pod')
    .aliases(['pods', 'po'])
    .description('CPU and memory use of pods: top pod [NAME | -l selector] [-n NS | -A] [--containers]')
    .argument('[name...]')
    .option('-l, --selector <selector>', 'label selector: app=web')
    .option('--containers', 'one line per container')
    .option('--sort-by <field>', 'cpu or memory, largest first')
    .option('--no-headers', 'leave out the header line')
    .action(async (names: string[], options: TopOptions & { headers?: boolean }, command: Command) => {
      exitCode = await topPodCommand(context(command), names, { ...options, noHeaders: options.headers === false });
    });

  program
    .command('cordon')
    .description('mark nodes unschedulable: cordon NODE...')
    .argument('<nodes...>')
    .action(async (nodes: string[], _options: unknown, command: Command) => {
      exitCode = await cordonCommand(context(command), nodes, true);
    });

  program
    .command('uncordon')
    .description('mark nodes schedulable again: uncordon NODE...')
    .argument('<nodes...>')
    .action(async (nodes: string[], _options: unknown, command: Command) => {
      exitCode = await cordonCommand(context(command), nodes, false);
    });

  program
    .command('drain')
    .description('cordon nodes, then evict their pods (honouring PodDisruptionBudgets): drain NODE...')
    .argument('<nodes...>')
    .option('--ignore-daemonsets', 'skip DaemonSet-managed pods')
    .option('--delete-emptydir-data', 'evict pods with emptyDir volumes too (their data is lost)')
    .option('--force', 'evict pods that declare no controller too')
    .option('--grace-period <seconds>', 'seconds each pod gets to terminate (-1: its own)', '-1')
    .option('--timeout <duration>', 'give up after this long, e.g. 120s (0: never)', '0s')
    .option('--pod-selector <selector>', 'only evict the pods matching this label selector')
    .option('--disable-eviction', 'delete pods instead of evicting them (bypasses PodDisruptionBudgets)')
    .option('--dry-run [strategy]', 'none, client (change nothing, say what would be done) or server (the apiserver checks the cordon and evictions without doing them)', 'none')
    .action(async (nodes: string[], options: DrainOptions, command: Command) => {
      exitCode = await drainCommand(context(command), nodes, options);
    });

  program
    .command('taint')
    .description('add or remove node taints: taint nodes NODE KEY=VALUE:EFFECT | KEY:EFFECT- | KEY- ...')
    .argument('<args...>', 'nodes NODE... (or node/NODE...) then taint changes')
    .option('--overwrite', 'replace a taint with the same key and effect')
    .option('-l, --selector <selector>', 'taint every node matching this label selector')
    .option('--all', 'taint every node')
    .action(async (args: string[], options: TaintOptions, command: Command) => {
      exitCode = await taintCommand(context(command), args, options);
    });

  for (const [verb, field, what] of [
    ['label', 'labels', 'labels'],
    ['annotate', 'annotations', 'annotations'],
  ] as const) {
    program
      .command(verb)
      .description(`set or remove ${what} of objects: ${verb} TYPE NAME | TYPE/NAME KEY=VALUE... KEY-... [--overwrite]`)
      .argument('<args...>', 'TYPE NAME... (or TYPE/NAME...) then KEY=VALUE to set and KEY- to remove')
      .option('--overwrite', 'allow changing the value of an existing key')
      .option('-l, --selector <selector>', 'every object of the type matching this label selector')
      .option('--all', 'every object of the type in the namespace')
      .option('--resource-version <version>', 'only change the object if it is at this resourceVersion')
      .action(async (args: string[], options: LabelOptions, command: Command) => {
        exitCode = await labelCommand(context(command), field, args, options);
      });
  }

  program
    .command('version')
    .description('print the client and server versions')
    .option('--client', 'the client version only')
    .action(async (options: { client?: boolean }, command: Command) => {
      exitCode = await versionCommand(context(command), options);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    io.err(`${err instanceof CliError ? err.message : errorLine(err, { server })}\n`);
    return 1;
  } finally {
    client?.close();
  }
}
