/**
 * The allowed directions of imports in src/, written down once (docs/architecture.md explains
 * them) and enforced by `npm run lint:deps`, part of `npm test`.
 *
 * LAYERS lists the layers from the bottom up. A module may import its own layer and any layer
 * below it, never one above: every "no" below is generated from this one list. Type-only
 * imports count too (tsPreCompilationDeps): an interface imported upward is a crossing as much
 * as a class is. A few rules the order cannot say are listed after it.
 */
const path = require('node:path');

/** Bottom first. `path` is a regular expression over the path from the repository root. */
const LAYERS = [
  { name: 'domain', path: '^src/(domain/|errors\\.ts$)', what: 'pure rules, no I/O; and the one list of error codes' },
  { name: 'util', path: '^src/(util/|logger\\.ts$|json-text\\.ts$|private-files\\.ts$)', what: 'helpers that know nothing of requests' },
  { name: 'infrastructure', path: '^src/(settings[^/]*\\.ts$|redis/|mail-auth/|registry/)', what: 'settings, Redis connections, mail sign-in, the contract registry file' },
  { name: 'store', path: '^src/store/', what: 'the request store in Redis' },
  { name: 'search', path: '^src/search/', what: 'the per-process list and search index over requests' },
  { name: 'intake', path: '^src/intake/', what: 'submit(): the one door into the queue, and the contracts channels use' },
  { name: 'dispatcher', path: '^src/dispatcher/', what: 'the worker that stamps and stores requests, and the timers' },
  { name: 'notify', path: '^src/notify/', what: 'replies to reporters and alerts to engineers' },
  { name: 'channels', path: '^src/channels/', what: 'phone, mail and portal adapters' },
  { name: 'ops', path: '^src/ops/', what: 'the ops page and API, metrics, queue board' },
  { name: 'reports', path: '^src/reports/', what: 'the SLA report: its figures over stored requests, API, CLI and page' },
  { name: 'inspections', path: '^src/inspections/', what: 'system care: yearly inspections, renewal reminders, their daily sweep, pages and API' },
  { name: 'privacy', path: '^src/privacy/', what: 'retention, data-subject export and erasure over every store, and its admin API' },
  { name: 'composition', path: '^src/(main|app|cli|shutdown-signals|stop-sequence|signature-guard|server-limits|starters/)', what: 'main, app, cli: compose the roles' },
];

const layerRules = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1);
  if (above.length === 0) return [];
  return [
    {
      name: `layer-${layer.name}`,
      severity: 'error',
      comment: `${layer.name} (${layer.what}) may import only itself and the layers below it; not ${above.map((l) => l.name).join(', ')}.`,
      from: { path: layer.path },
      to: { path: above.map((l) => `(${l.path})`).join('|') },
    },
  ];
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'not-in-a-layer',
      severity: 'error',
      comment: 'Every module in src/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs (and docs/architecture.md).',
      from: { path: '^src/', pathNot: LAYERS.map((l) => `(${l.path})`).join('|') },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: put the shared interface in a file of its own.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'channel-to-channel',
      severity: 'error',
      comment: 'A channel never imports another channel: what they share belongs in intake/ or domain/.',
      from: { path: '^src/channels/([^/]+)/' },
      to: { path: '^src/channels/', pathNot: '^src/channels/$1/' },
    },
    {
      name: 'channel-past-intake',
      severity: 'error',
      comment: 'Channels reach requests through intake/ (submit, RequestReader), never the store or the dispatcher directly.',
      from: { path: '^src/channels/' },
      to: { path: '^src/(store|dispatcher)/' },
    },
    {
      name: 'domain-without-io',
      severity: 'error',
      comment: 'domain/ is pure: no files, sockets, processes, Redis, HTTP or mail.',
      from: { path: '^src/domain/' },
      to: {
        path: '^(node:)?(fs|fs/promises|net|tls|http|https|http2|child_process|dgram|worker_threads)$|^(ioredis|bullmq|express|nodemailer|imapflow|twilio|multer|mailparser)$',
      },
    },
    {
      name: 'src-not-to-tests',
      severity: 'error',
      comment: 'Production code does not import tests, benches or their support.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: path.join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.d.ts'],
    },
    reporterOptions: {
      mermaid: { minify: false },
      dot: { collapsePattern: '^src/(channels/[^/]+|ops/ops-page|[^/]+)/' },
    },
  },
};
