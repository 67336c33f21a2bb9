// Layer order of DESIGN.md ("Layout"), checked by `npm run lint`: a layer imports only the layers
// below it, and no file imports itself back through a cycle. Type-only imports count too: a type
// in the wrong layer is how the cycles of issue 15 began.
//
//   composition root  src/cli.ts (and its helpers in src/cli/), src/services.ts, src/runtime.ts
//   processors        src/server/, src/ui/ (the dashboard), the workers (src/workers/, src/queue/schedule.ts)
//   middle            src/commands/, src/events/ (routing), src/pulls/, src/report/, src/sync/
//   adapters          src/providers/, src/kube/, src/store/, src/queue/jobs.ts, queues.ts, processor.ts
//   config            src/config/
//   model             src/model/ and the leaf helpers src/errors.ts, src/log.ts, src/metrics.ts, src/tracing.ts, src/version.ts
const root = '^src/(cli|services|runtime)[.]ts$|^src/cli/';
const workers = '^src/workers/|^src/queue/schedule[.]ts$';
const processors = `^src/(server|ui)/|${workers}`;
const middle = '^src/(commands|events|pulls|report|sync)/';
const adapters = '^src/(providers|kube|store)/|^src/queue/(jobs|queues|processor)[.]ts$';
const model = '^src/(model|text)/|^src/(errors|log|metrics|tracing|version)[.]ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles, type-only ones included', from: {}, to: { circular: true } },
    {
      name: 'model-imports-nothing',
      severity: 'error',
      comment: 'src/model/ and the leaf helpers import nothing from src/ above them',
      from: { path: model },
      to: { path: '^src/', pathNot: model },
    },
    {
      name: 'config-imports-model-only',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: `^src/config/|${model}` },
    },
    {
      name: 'adapters-import-downward',
      severity: 'error',
      comment: 'providers, kube, store and the queue definitions import only each other, config and model',
      from: { path: adapters },
      to: { path: '^src/', pathNot: `${adapters}|^src/config/|${model}` },
    },
    {
      name: 'middle-imports-downward',
      severity: 'error',
      comment: 'commands, routing, report and sync never import processors or the composition root',
      from: { path: middle, pathNot: workers },
      to: { path: `${processors}|^src/(cli|services)[.]ts$` },
    },
    {
      name: 'only-processors-take-the-runtime',
      severity: 'error',
      comment: 'below the processors, modules declare the narrow dependencies they use (issue 15 item 2)',
      from: { path: middle, pathNot: workers },
      to: { path: '^src/runtime[.]ts$' },
    },
    {
      name: 'sync-imports-neither-report-nor-providers',
      severity: 'error',
      comment: 'progress and outcomes leave the reconciler through callbacks',
      from: { path: '^src/sync/' },
      to: { path: '^src/(report|providers)/' },
    },
    {
      name: 'processors-import-no-composition-root',
      severity: 'error',
      comment: 'processors receive the Runtime (a type-only import); they never build it or import the CLI',
      from: { path: processors },
      to: { path: root, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'server-imports-no-workers',
      severity: 'error',
      comment: 'the web and the workers stay independent of one another',
      from: { path: '^src/(server|ui)/' },
      to: { path: workers },
    },
    {
      name: 'workers-import-no-server',
      severity: 'error',
      from: { path: workers },
      to: { path: '^src/(server|ui)/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
