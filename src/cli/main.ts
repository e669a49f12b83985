import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseResourceOverrides } from '../schedule/capacity.js';
import { findProjectRoot } from '../workspace/project-root.js';
import { describeIoError } from '../util/io-error.js';
import { EXIT, processIo, type Io } from './io.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Parses arguments and dispatches; returns the process exit code. Never throws for bad input. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; every usage error is exit 2, as documented.
      return e.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    // A full disk or a permission is the machine's, not a bug: name the path, exit 1, no plea to report.
    const ioProblem = describeIoError(e);
    if (ioProblem !== undefined) {
      io.err(`orchestrator: error: ${ioProblem}\n`);
      return EXIT.failed;
    }
    io.err(`orchestrator: internal error: ${(e as Error).message}\n`);
    if (process.env.ORCHESTRATOR_DEBUG) io.err(`${(e as Error).stack}\n`);
    else io.err('  hint: set ORCHESTRATOR_DEBUG=1 to see where it happened, and please report it\n');
    return EXIT.failed;
  }
  return exitCode;
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('orchestrator')
    .description('Declarative, content-addressed build orchestrator for long FPGA/ML pipelines.\nReads pipeline.yaml and params.yaml, runs only what changed, restores the rest from its cache.')
    .version(version, '-V, --version', 'print the version')
    .option('-C <dir>', 'run as if started in <dir>')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 a stage failed, 2 invalid usage or invalid pipeline/params, 130 interrupted.

Environment:
  ORCHESTRATOR_CACHE_TYPE  restore link types, e.g. "reflink,copy" (default) or "hardlink,copy";
                           overrides pipeline.yaml's cache.type
  ORCHESTRATOR_DEBUG=1     show stack traces of internal errors

Files: pipeline.yaml and params.yaml (yours), pipeline.lock (commit it), .orchestrator/ (cache,
state, logs; git-ignore it). Stage logs: .orchestrator/logs/<run id>/<stage>.log`,
    );

  // The project root is found upward from where the command starts (as git and DVC find theirs).
  const start = () => path.resolve(program.opts<{ C?: string }>().C ?? '.');
  const root = () => findProjectRoot(start());
  // As `git -C`: a folder that does not exist is an error, never a search upward from its parent.
  program.hook('preAction', () => {
    const dir = program.opts<{ C?: string }>().C;
    if (dir !== undefined && !statSync(path.resolve(dir), { throwIfNoEntry: false })?.isDirectory()) {
      program.error(`error: -C ${dir}: no such directory`, { exitCode: EXIT.invalid, code: 'orchestrator.badDir' });
    }
  });
  const run = (fn: () => Promise<number>) => async () => setExit(await fn());

  program
    .command('repro')
    .description('Bring the pipeline (or TARGETs and their upstream) up to date: run what changed, restore what is cached.')
    .argument('[targets...]', 'stage names, or a foreach/matrix group name for all its stages')
    .option('-f, --force', 'run the selected stages even if nothing changed')
    .option('-s, --single-item', 'only the targets, not their upstream stages')
    .option('--downstream', 'the targets and every stage that depends on them')
    .option('--dry', 'print what would run or be restored, change nothing')
    .addOption(new Option('-j, --jobs <n>', 'stages to run at once').default(availableParallelism(), 'number of CPUs').argParser(positiveInt))
    .option('-k, --keep-going', 'after a failure, keep running stages that do not depend on it')
    .option('--no-run-cache', 'run stages even when the run-cache has their outputs')
    .option('--no-wait', 'fail instead of waiting when another repro runs in this workspace')
    .option('-v, --verbose', 'stream every stage\'s output, prefixed by the stage name')
    .addOption(resourcesOption('set a capacity, e.g. --resources vivado_license=2 cpus=8 (default: cpus and mem_gb of this machine, plus pipeline.yaml resources:)'))
    .option('-S, --set-param <key=value>', 'write a param into its params file first (keeps comments), e.g. -S model.bits=4 or -S other.yaml:a.b=1; repeatable', collect, [])
    .option('--pull', 'before running a stage, fetch its run-cache entry or outputs from the remote if it has them, and restore instead')
    .option('--push', 'at the end, push the outputs and run-cache entries of what was built to the remote')
    .option('-r, --remote <name>', 'the remote for --pull/--push (default: core.remote)')
    .action(
      (
        targets: string[],
        o: { force?: boolean; singleItem?: boolean; downstream?: boolean; dry?: boolean; jobs: number; keepGoing?: boolean; runCache: boolean; wait: boolean; verbose?: boolean; resources?: Record<string, number>; setParam: string[]; pull?: boolean; push?: boolean; remote?: string },
      ) =>
        run(async () => {
          if (o.setParam.length > 0) {
            const { setParamsCommand } = await import('./commands/params.js');
            const code = await setParamsCommand(root(), o.setParam, { dry: !!o.dry }, io);
            if (code !== EXIT.ok) return code;
          }
          const { reproCommand } = await import('./commands/repro.js');
          return reproCommand(
            root(),
            targets,
            {
              ...o,
              force: !!o.force,
              single: !!o.singleItem,
              downstream: !!o.downstream,
              dry: !!o.dry,
              keepGoing: !!o.keepGoing,
              verbose: !!o.verbose,
              resources: o.resources ?? {},
              pull: !!o.pull,
              push: !!o.push,
              ...(o.remote ? { remote: o.remote } : {}),
            },
            io,
          );
        })(),
    );

  program
    .command('status')
    .description('Show, per stage, whether it is up to date and why not (nothing is run or written).')
    .argument('[targets...]', 'stages to check, with their upstream stages')
    .option('-s, --single-item', 'only the targets, not their upstream stages')
    .option('--downstream', 'the targets and every stage that depends on them')
    .option('--json', 'print one JSON document')
    .option('-c, --cloud', 'compare the cache with a remote: what is missing where')
    .option('-r, --remote <name>', 'with --cloud: the remote (default: core.remote)')
    .option('--run-cache', 'with --cloud: also run-cache entries')
    .action((targets: string[], o: { singleItem?: boolean; downstream?: boolean; json?: boolean; cloud?: boolean; remote?: string; runCache?: boolean }) =>
      run(async () => {
        if (o.cloud) return (await import('./commands/transfer.js')).cloudStatusCommand(root(), targets, { ...(o.remote ? { remote: o.remote } : {}), runCache: !!o.runCache, json: !!o.json }, io);
        const { statusCommand } = await import('./commands/status.js');
        return statusCommand(root(), targets, { json: !!o.json, single: !!o.singleItem, downstream: !!o.downstream }, io);
      })(),
    );

  program
    .command('dag')
    .description('Print the stage graph (text by default).')
    .argument('[targets...]', 'show only these stages and their upstream')
    .option('--dot', 'Graphviz dot')
    .option('--mermaid', 'Mermaid flowchart')
    .option('--json', 'one JSON document: {stages, edges}')
    .action((targets: string[], o: { dot?: boolean; mermaid?: boolean; json?: boolean }) =>
      run(async () => {
        const { dagCommand } = await import('./commands/dag.js');
        return dagCommand(root(), targets, o.json ? 'json' : o.dot ? 'dot' : o.mermaid ? 'mermaid' : 'text', io);
      })(),
    );

  program
    .command('checkout')
    .description('Restore outputs from the cache so they match pipeline.lock.')
    .argument('[targets...]', 'only these stages')
    .option('-f, --force', 'also overwrite outputs that were modified')
    .option('--json', 'print one JSON document')
    .action((targets: string[], o: { force?: boolean; json?: boolean }) =>
      run(async () => {
        const { checkoutCommand } = await import('./commands/checkout.js');
        return checkoutCommand(root(), targets, { force: !!o.force, json: !!o.json }, io);
      })(),
    );

  program
    .command('cache')
    .description('Inspect the cache.')
    .command('verify')
    .description('Re-hash every cache object (and directory manifest); move bad ones to .orchestrator/cache/quarantine/; exit 1 if any was bad.')
    .option('--json', 'print one JSON document')
    .action((o: { json?: boolean }) =>
      run(async () => {
        const { cacheVerifyCommand } = await import('./commands/cache.js');
        return cacheVerifyCommand(root(), { json: !!o.json }, io);
      })(),
    );

  program
    .command('gc')
    .description('Remove cache objects that neither pipeline.lock nor a kept run-cache entry references.')
    .option('--dry', 'list what would be removed, remove nothing')
    .addOption(new Option('--keep-runs <n>', 'run-cache entries to keep per stage, newest first (the locked run is always kept)').default(3).argParser(nonNegativeInt))
    .option('--json', 'print one JSON document')
    .option('-c, --cloud', 'also remove from the remote what these keep rules do not keep')
    .option('-r, --remote <name>', 'with --cloud: the remote (default: core.remote)')
    .addOption(new Option('--tmp-age <seconds>', 'with --cloud: remove temp files and incomplete uploads of killed pushes older than this (younger ones may be in flight)').default(3600).argParser(nonNegativeInt))
    .option('--force-shared', 'also when the cache is a shared cache.dir (other workspaces lose what only they use)')
    .action((o: { dry?: boolean; keepRuns: number; tmpAge: number; json?: boolean; cloud?: boolean; remote?: string; forceShared?: boolean }) =>
      run(async () => {
        const { gcCommand } = await import('./commands/gc.js');
        return gcCommand(root(), { ...o, dry: !!o.dry, json: !!o.json, cloud: !!o.cloud }, io);
      })(),
    );

  program
    .command('watch')
    .description('Repro, then rerun what changed whenever a dep, a params file or pipeline.yaml changes (Ctrl-C to stop).')
    .argument('[targets...]', 'stages to keep up to date, with their upstream')
    .addOption(new Option('-j, --jobs <n>', 'stages to run at once').default(availableParallelism(), 'number of CPUs').argParser(positiveInt))
    .option('-k, --keep-going', 'after a failure, keep running stages that do not depend on it')
    .option('-v, --verbose', 'stream every stage\'s output, prefixed by the stage name')
    .addOption(resourcesOption('set a capacity, as for repro'))
    .addOption(new Option('--debounce <ms>', 'quiet time after the last change before acting').default(200).argParser(nonNegativeInt))
    .action((targets: string[], o: { jobs: number; keepGoing?: boolean; verbose?: boolean; resources?: Record<string, number>; debounce: number }) =>
      run(async () => {
        const { watchCommand } = await import('./commands/watch.js');
        return watchCommand(root(), targets, { jobs: o.jobs, keepGoing: !!o.keepGoing, verbose: !!o.verbose, resources: o.resources ?? {}, debounceMs: o.debounce }, io);
      })(),
    );

  program
    .command('logs')
    .description('Print the output of a stage\'s latest execution (or of --run ID), kept in .orchestrator/logs/.')
    .argument('<stage>', 'stage name, e.g. build@4')
    .option('--run <id>', 'the run to show (see --list)')
    .option('--list', 'list the runs that have a log for this stage')
    .action((stage: string, o: { run?: string; list?: boolean }) =>
      run(async () => {
        const { logsCommand } = await import('./commands/logs.js');
        return logsCommand(root(), stage, { ...(o.run ? { run: o.run } : {}), list: !!o.list }, io);
      })(),
    );

  // Remotes and shared caches: remote add/list/modify/remove/default, config, push, pull, fetch (status --cloud, repro --pull/--push and gc --cloud are options of those commands).
  const remote = program.command('remote').description('Remotes: where push/pull/fetch move cached outputs (stored in .orchestrator/config; --local: .orchestrator/config.local).');
  remote
    .command('add')
    .description('Add a remote: a folder (/mnt/group/cache, file://...), s3://bucket/prefix or ssh://user@host:port/path.')
    .argument('<name>')
    .argument('<url>')
    .option('-d, --default', 'make it the default remote')
    .option('-f, --force', 'replace a remote of that name')
    .option('--local', 'write to .orchestrator/config.local (git-ignored)')
    .action((name: string, url: string, o: { default?: boolean; force?: boolean; local?: boolean }) =>
      run(async () => (await import('./commands/remote.js')).remoteAddCommand(root(), name, url, { default: !!o.default, force: !!o.force, local: !!o.local }, io))(),
    );
  remote
    .command('list')
    .description('List the remotes (credentials are never printed).')
    .option('--json', 'print one JSON document')
    .action((o: { json?: boolean }) => run(async () => (await import('./commands/remote.js')).remoteListCommand(root(), { json: !!o.json }, io))());
  remote
    .command('modify')
    .description('Set a remote option (DVC names: endpointurl, region, profile, user, port, keyfile, known_hosts, jobs, ...); credentials only with --local.')
    .argument('<name>')
    .argument('<option>')
    .argument('[value]')
    .option('-u, --unset', 'remove the option')
    .option('--local', 'write to .orchestrator/config.local (git-ignored)')
    .action((name: string, option: string, value: string | undefined, o: { unset?: boolean; local?: boolean }) =>
      run(async () => (await import('./commands/remote.js')).remoteModifyCommand(root(), name, option, value, { unset: !!o.unset, local: !!o.local }, io))(),
    );
  remote
    .command('remove')
    .description('Remove a remote (its data stays where it is).')
    .argument('<name>')
    .action((name: string) => run(async () => (await import('./commands/remote.js')).remoteRemoveCommand(root(), name, io))());
  remote
    .command('default')
    .description('Print the default remote, or set it.')
    .argument('[name]')
    .option('-u, --unset', 'no default remote')
    .option('--local', 'write to .orchestrator/config.local (git-ignored)')
    .action((name: string | undefined, o: { unset?: boolean; local?: boolean }) =>
      run(async () => (await import('./commands/remote.js')).remoteDefaultCommand(root(), name, { unset: !!o.unset, local: !!o.local }, io))(),
    );
  program
    .command('config')
    .description('Print or set core.remote, cache.dir (a cache folder outside the workspace, relative to .orchestrator/) or cache.shared (group).')
    .argument('<key>')
    .argument('[value]')
    .option('-u, --unset', 'remove the setting')
    .option('--local', 'write to .orchestrator/config.local (git-ignored)')
    .option('--json', 'print one JSON document')
    .action((key: string, value: string | undefined, o: { unset?: boolean; local?: boolean; json?: boolean }) =>
      run(async () => (await import('./commands/remote.js')).configCommand(root(), key, value, { unset: !!o.unset, local: !!o.local, json: !!o.json }, io))(),
    );
  for (const [name, description] of [
    ['push', 'Upload the cached outputs of the stages in pipeline.lock (or TARGETs) that the remote lacks.'],
    ['fetch', 'Download the outputs pipeline.lock names (or TARGETs\') into the cache; every object is verified before it is placed.'],
    ['pull', 'fetch, then checkout: restore the outputs in the workspace.'],
  ] as const) {
    const cmd = program
      .command(name)
      .description(description)
      .argument('[targets...]', 'stage names (default: all)')
      .option('-r, --remote <name>', 'the remote (default: core.remote)')
      .addOption(new Option('-j, --jobs <n>', 'transfers at once').default(undefined, '4 x CPUs, or the remote\'s jobs option').argParser(positiveInt))
      .option('--run-cache', 'also transfer run-cache entries (so repro elsewhere restores instead of running)')
      .option('--json', 'print one JSON document');
    if (name === 'pull') cmd.option('-f, --force', 'overwrite outputs modified in the workspace');
    cmd.action((targets: string[], o: { remote?: string; jobs?: number; runCache?: boolean; json?: boolean; force?: boolean }) =>
      run(async () => {
        const t = await import('./commands/transfer.js');
        const flags = { ...(o.remote ? { remote: o.remote } : {}), ...(o.jobs ? { jobs: o.jobs } : {}), runCache: !!o.runCache, json: !!o.json };
        if (name === 'push') return t.pushCommand(root(), targets, flags, io);
        if (name === 'fetch') return t.fetchCommand(root(), targets, flags, io);
        return t.pullCommand(root(), targets, { ...flags, force: !!o.force }, io);
      })(),
    );
  }
  for (const cmd of remote.commands) cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError('(run with --help for usage)');

  // Further commands register here, each in its own block: doctor (Docker/FINN checks), finn.

  program
    .command('init')
    .description('Make this folder a project: create .orchestrator/ (cache, logs, state; git-ignored except its config).')
    .option('-f, --force', 'initialise again: rewrite .orchestrator/.gitignore (the cache is kept)')
    .action((o: { force?: boolean }) =>
      run(async () => {
        const { initCommand } = await import('./commands/init.js');
        return initCommand(start(), { force: !!o.force }, io);
      })(),
    );

  // Sweeps: sweep run/show/list/apply/rm; params diff; metrics show/diff.
  const sweep = program.command('sweep').description('Parameter sweeps: each variant in its own workspace under .orchestrator/sweeps/, all sharing the cache.');
  sweep
    .command('run')
    .description('Run a sweep declared under sweeps: in pipeline.yaml, or the cartesian product of -S axes. Rerunning resumes: finished variants are up to date.')
    .argument('[name]', 'a sweep in pipeline.yaml (or the name to give a -S sweep)')
    .argument('[targets...]', 'stop at these stages (and their upstream) in every variant')
    .option('-f, --force', 'run the selected stages even when up to date (each distinct configuration once)')
    .option('-S, --set-param <key=values>', "an axis: -S model.bits=2,4,8, -S 'model.seq_len=range(32,513,32)', -S 'x=choice(a,b)'; repeatable", collect, [])
    .addOption(new Option('-j, --jobs <n>', 'stages at once, over all variants').default(availableParallelism(), 'number of CPUs').argParser(positiveInt))
    .addOption(resourcesOption('set a capacity, as for repro'))
    .option('--no-run-cache', 'run stages even when the run-cache has their outputs')
    .option('--no-wait', 'fail instead of waiting when this sweep, or another command in this workspace, is running')
    .option('-v, --verbose', "stream every stage's output, prefixed by variant/stage")
    .option('--dry', 'list the variants and their params, run nothing')
    .option('--json', 'with --dry: print one JSON document')
    .action(
      (name: string | undefined, targets: string[], o: { setParam: string[]; force?: boolean; jobs: number; resources?: Record<string, number>; runCache: boolean; wait: boolean; verbose?: boolean; dry?: boolean; json?: boolean }) =>
        run(async () => {
          const { sweepRunCommand } = await import('./commands/sweep.js');
          return sweepRunCommand(root(), name, { set: o.setParam, targets, force: !!o.force, jobs: o.jobs, resources: o.resources ?? {}, runCache: o.runCache, wait: o.wait, verbose: !!o.verbose, dry: !!o.dry, json: !!o.json }, io);
        })(),
    );
  sweep
    .command('show')
    .description('One row per variant: swept and derived params, status, duration (s), metrics.')
    .argument('[name]', 'the sweep (default: the one run last)')
    .option('--json', 'print one JSON document')
    .option('--csv', 'CSV')
    .option('--md', 'Markdown table')
    .option('--sort-by <column>', 'sort rows by a column (numbers numerically, missing values last); repeat for more keys, COLUMN:desc for one descending', collect, [])
    .option('--desc', 'with --sort-by: descending')
    .option('--only <key...>', 'only these columns (a key also selects key.*), in this order')
    .option('--where <conditions>', "only rows where every condition holds: 'model.seq_len=512,model.bits=2' (also != < <= > >=)")
    .option('--pivot <keys...>', 'ROWKEY COLKEY VALUE: one row per ROWKEY value, one column per COLKEY value')
    .option('--grid <name>', "only the rows of one grid of the sweep")
    .option('--baseline', 'add the main workspace as the first row')
    .option('--no-variant', 'leave out the variant id column')
    .action(
      (
        name: string | undefined,
        o: { json?: boolean; csv?: boolean; md?: boolean; sortBy: string[]; desc?: boolean; only?: string[]; where?: string; pivot?: string[]; grid?: string; baseline?: boolean; variant: boolean },
      ) =>
        run(async () => {
          const { sweepShowCommand } = await import('./commands/sweep.js');
          if (o.pivot && o.pivot.length !== 3) {
            io.err('error: --pivot takes three columns: ROWKEY COLKEY VALUE\n');
            return 2;
          }
          return sweepShowCommand(
            root(),
            name,
            {
              json: !!o.json,
              csv: !!o.csv,
              md: !!o.md,
              desc: !!o.desc,
              sortBy: o.sortBy,
              baseline: !!o.baseline,
              variantColumn: o.variant,
              ...(o.only ? { only: o.only } : {}),
              ...(o.where !== undefined ? { where: o.where } : {}),
              ...(o.pivot ? { pivot: o.pivot as [string, string, string] } : {}),
              ...(o.grid !== undefined ? { grid: o.grid } : {}),
            },
            io,
          );
        })(),
    );
  sweep
    .command('list')
    .description('Sweeps declared in pipeline.yaml or run here, with their variant counts.')
    .option('--json', 'print one JSON document')
    .action((o: { json?: boolean }) =>
      run(async () => {
        const { sweepListCommand } = await import('./commands/sweep.js');
        return sweepListCommand(root(), { json: !!o.json }, io);
      })(),
    );
  sweep
    .command('apply')
    .description("Put a variant's params into the main params file(s) and its outputs into the main workspace (from the cache).")
    .argument('<name>', 'the sweep')
    .argument('<variant>', 'the variant id (see sweep show)')
    .option('--json', 'print one JSON document')
    .action((name: string, variant: string, o: { json?: boolean }) =>
      run(async () => {
        const { sweepApplyCommand } = await import('./commands/sweep.js');
        return sweepApplyCommand(root(), name, variant, { json: !!o.json }, io);
      })(),
    );
  sweep
    .command('rm')
    .description("Remove a sweep's workspaces and record (cached outputs stay until gc).")
    .argument('<name>', 'the sweep')
    .option('--no-wait', 'fail instead of waiting when the sweep is running')
    .action((name: string, o: { wait: boolean }) =>
      run(async () => {
        const { sweepRmCommand } = await import('./commands/sweep.js');
        return sweepRmCommand(root(), name, { wait: o.wait }, io);
      })(),
    );
  const params = program.command('params').description('Parameters of the pipeline.');
  params
    .command('diff')
    .description('Params that differ between two states: git revisions (default HEAD), the workspace (default new side), or sweep variants SWEEP/VARIANT.')
    .argument('[revs...]', 'OLD [NEW]: HEAD, a commit or tag, workspace, SWEEP/VARIANT')
    .option('--all', 'also unchanged params')
    .option('--json', "print one JSON document, DVC's shape: {file: {key: {old, new}}}")
    .option('--md', "DVC's Markdown table")
    .action((revs: string[], o: { all?: boolean; json?: boolean; md?: boolean }) =>
      run(async () => {
        const { paramsDiffCommand } = await import('./commands/params.js');
        return paramsDiffCommand(root(), revs, { all: !!o.all, json: !!o.json, md: !!o.md }, io);
      })(),
    );
  const metrics = program.command('metrics').description("Metrics: the stages' metrics: files (YAML or JSON, nested keys flattened with dots).");
  metrics
    .command('show')
    .description('Metrics of the workspace, a git revision, or a sweep variant SWEEP/VARIANT.')
    .argument('[rev]', 'workspace (default), a git revision, or SWEEP/VARIANT')
    .option('--json', "print one JSON document, DVC's shape: {rev: {data: {file: {data}}}}")
    .action((rev: string | undefined, o: { json?: boolean }) =>
      run(async () => {
        const { metricsShowCommand } = await import('./commands/metrics.js');
        return metricsShowCommand(root(), rev, { json: !!o.json }, io);
      })(),
    );
  metrics
    .command('diff')
    .description('Metrics that differ between two states (default: HEAD and the workspace), with the numeric change.')
    .argument('[revs...]', 'OLD [NEW]: HEAD, a commit or tag, workspace, SWEEP/VARIANT')
    .option('--all', 'also unchanged metrics')
    .option('--json', "print one JSON document, DVC's shape: {file: {key: {old, new, diff}}}")
    .option('--md', "DVC's Markdown table")
    .action((revs: string[], o: { all?: boolean; json?: boolean; md?: boolean }) =>
      run(async () => {
        const { metricsDiffCommand } = await import('./commands/metrics.js');
        return metricsDiffCommand(root(), revs, { all: !!o.all, json: !!o.json, md: !!o.md }, io);
      })(),
    );
  sweep
    .command('plot')
    .description("Draw the sweep's declared figures (sweeps.NAME.figures) and its sortable result table in one self-contained HTML file.")
    .argument('<name>', 'sweep name')
    .argument('[figures...]', 'only these figures')
    .option('--json', 'print the figures (Vega-Lite specs with data) and the table as one JSON document; write no HTML')
    .option('-o, --out <dir>', 'folder for index.html (default: .orchestrator/sweeps-plots/NAME)')
    .action((name: string, figures: string[], o: { json?: boolean; out?: string }) =>
      run(async () => {
        const { sweepPlotCommand } = await import('./commands/sweep-plot.js');
        return sweepPlotCommand(root(), name, figures, { json: !!o.json, out: o.out }, io);
      })(),
    );
  // Plots (DVC's plots show/diff) as one self-contained HTML file.
  const plots = program.command('plots').description("Plots: the pipeline's plots: (DVC's fields and templates) rendered to one self-contained HTML file.");
  const plotsOptions = (c: Command) =>
    c
      .option('--json', 'print the Vega-Lite specs with their data inlined (one JSON document); write no HTML')
      .option('-o, --out <dir>', 'folder for index.html (default: .orchestrator/plots)');
  plotsOptions(plots.command('show').description('Draw the workspace\'s plots (all, or those whose id or file is a TARGET).').argument('[targets...]', 'plot ids or plot files')).action(
    (targets: string[], o: { json?: boolean; out?: string }) =>
      run(async () => {
        const { plotsShowCommand } = await import('./commands/plots.js');
        return plotsShowCommand(root(), { json: !!o.json, out: o.out, targets }, io);
      })(),
  );
  plotsOptions(
    plots
      .command('diff')
      .description('Draw plots of several states in one figure each: none given = HEAD and the workspace, one = it and the workspace.')
      .argument('[revs...]', 'git revisions, workspace, SWEEP/VARIANT')
      .option('--targets <target...>', 'only these plot ids or files'),
  ).action((revs: string[], o: { json?: boolean; out?: string; targets?: string[] }) =>
    run(async () => {
      const { plotsDiffCommand } = await import('./commands/plots.js');
      return plotsDiffCommand(root(), revs, { json: !!o.json, out: o.out, targets: o.targets ?? [] }, io);
    })(),
  );
  program
    .command('report')
    .description('One self-contained HTML page about a run: DAG, decisions and reasons, timeline, failures with log tails, metrics, params, plots.')
    .option('--run <id>', 'the run to report (default: the latest; ids: ls .orchestrator/runs)')
    .option('--sweep <name>', "report a sweep instead: its figures and sortable result table")
    .option('--json', 'print the report data as one JSON document; write no HTML')
    .option('-o, --out <dir>', 'folder for index.html (default: .orchestrator/report)')
    .action((o: { run?: string; sweep?: string; json?: boolean; out?: string }) =>
      run(async () => {
        if (o.sweep !== undefined) {
          const { sweepPlotCommand } = await import('./commands/sweep-plot.js');
          return sweepPlotCommand(root(), o.sweep, [], { json: !!o.json, out: o.out ?? path.join('.orchestrator', 'report', 'sweeps', o.sweep), title: `Sweep report: ${o.sweep}` }, io);
        }
        const { reportCommand } = await import('./commands/report.js');
        return reportCommand(root(), { run: o.run, json: !!o.json, out: o.out }, io);
      })(),
    );
  for (const group of [sweep, params, metrics, plots]) for (const cmd of group.commands) cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError('(run with --help for usage)');

  program
    .command('doctor')
    .description('Check the machine for what the pipeline needs (Docker engine, images, mounts; FINN tools) and print one table.')
    .option('--json', 'print one JSON document: {ok, checks}')
    .option('--slurm', 'also submit a tiny Slurm job to check the workspace is visible from the nodes')
    .action((o: { json?: boolean; slurm?: boolean }) =>
      run(async () => {
        const { doctorCommand } = await import('./commands/doctor.js');
        return doctorCommand(root(), { json: !!o.json, slurm: !!o.slurm }, io);
      })(),
    );
  const finn = program.command('finn').description('FINN-specific tools (report readers).');
  finn
    .command('metrics')
    .description("Read a FINN build's reports (report/*.json, post_route_timing.rpt, time_per_step.json; also <stage>/report/...) into metrics and a per-layer-type resource breakdown.")
    .argument('<build-dir>', 'a FINN output_dir, or a directory of per-stage output_dirs (build/)')
    .option('--out <file>', 'write the metrics as sorted YAML (otherwise printed)')
    .option('--breakdown <file>', 'write the per-layer-type resource breakdown as sorted YAML')
    .option('--json', 'print one JSON document {metrics, breakdown}')
    .action((buildDir: string, o: { out?: string; breakdown?: string; json?: boolean }) =>
      run(async () => {
        const { finnMetricsCommand } = await import('./commands/finn.js');
        return finnMetricsCommand(root(), buildDir, { ...o, json: !!o.json }, io);
      })(),
    );
  for (const cmd of finn.commands) cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError('(run with --help for usage)');

  program
    .command('inspect')
    .description('Inspect an ONNX model (QONNX / FINN-ONNX / hardware): kind, opsets, datatypes, node counts, per-layer folding, weights, FINN reports. `inspect diff A B` compares two.')
    .argument('<target...>', 'MODEL.onnx | STAGE | STAGE@REV | SWEEP/VARIANT/STAGE, or: diff A B')
    .option('--json', 'print one JSON document')
    .option('--html <file>', 'also draw the graph (and its partitions) into a self-contained HTML page')
    .option('--out <dir>', 'write inspect.html and inspect.json into DIR')
    .action((args: string[], o: { json?: boolean; html?: string; out?: string }) =>
      run(async () => {
        const { inspectCommand, inspectDiffCommand } = await import('./commands/inspect.js');
        if (args[0] === 'diff' && args.length === 3) return inspectDiffCommand(root(), args[1]!, args[2]!, { json: !!o.json }, io);
        if (args.length !== 1) {
          io.err(args[0] === 'diff' ? 'error: inspect diff takes two models: inspect diff A B\n' : 'error: inspect takes one model (or: inspect diff A B)\n');
          return EXIT.invalid;
        }
        return inspectCommand(root(), args[0]!, { json: !!o.json, ...(o.html ? { html: o.html } : {}), ...(o.out ? { out: o.out } : {}) }, io);
      })(),
    );

  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError('(run with --help for usage)');
  return program;
}

/** Repeatable option values (`-S a=1 -S b=2`); not variadic, so positional targets after it stay targets. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--resources name=n ...` (repeatable, comma-separated too), parsed as it is read: a bad value is a usage error. */
function resourcesOption(description: string): Option {
  return new Option('--resources <name=n...>', description).argParser((value: string, previous: Record<string, number> | undefined) => {
    const parsed = parseResourceOverrides([value]);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.error.replace(/^--resources: /, ""));
    return { ...previous, ...parsed.value };
  });
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}
