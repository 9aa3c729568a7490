import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The boundary rule as `npm run lint:deps` runs it: dependency-cruiser's own CLI with the
// repository's .dependency-cruiser.cjs, on the real tree and on small trees made to break it.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const CLI = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Cruise {
  exitCode: number;
  output: string;
}

function cruise(cwd: string): Promise<Cruise> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, 'src', '--config', CONFIG, '--output-type', 'err-long'], { cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ exitCode: error ? (error.code as number) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** Cruises a throwaway repository holding only `files` (paths relative to its root). */
async function cruiseTree(files: Record<string, string>): Promise<Cruise> {
  const root = mkdtempSync(path.join(tmpdir(), 'hezo-architecture-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), text);
    }
    return await cruise(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const STORE = { 'src/store/request-store.ts': 'export class RequestStore {\n  readonly kind = "store";\n}\n' };

describe('the allowed directions of imports (.dependency-cruiser.cjs)', () => {
  it('finds no violation in the real tree', async () => {
    const result = await cruise(ROOT);
    expect(result.output).toContain('no dependency violations found');
    expect(result.exitCode).toBe(0);
  }, 120_000);

  // Each break stands in files of its own, so one cruise of the tree holding them all shows
  // every rule firing (one process instead of five on a shared machine).
  const BREAKS = [
    {
      rule: 'layer-domain',
      why: 'domain imports the store (a type-only import counts too)',
      files: {
        ...STORE,
        'src/domain/deadline-probe.ts': "import type { RequestStore } from '../store/request-store.js';\nexport type Probe = RequestStore;\n",
      },
    },
    {
      rule: 'channel-past-intake',
      why: 'a channel imports the request store',
      files: {
        ...STORE,
        'src/channels/portal/routes.ts': "import { RequestStore } from '../../store/request-store.js';\nexport const store = new RequestStore();\n",
      },
    },
    {
      rule: 'channel-to-channel',
      why: 'one channel imports another',
      files: {
        'src/channels/mail/threading.ts': 'export const tag = "[HZ]";\n',
        'src/channels/phone/call-flow.ts': "import { tag } from '../mail/threading.js';\nexport const said = tag;\n",
      },
    },
    {
      rule: 'no-circular',
      why: 'two modules import each other',
      files: {
        'src/notify/notifier.ts': "import type { Sender } from './sender.js';\nexport interface Notifier { senders: Sender[] }\n",
        'src/notify/sender.ts': "import type { Notifier } from './notifier.js';\nexport interface Sender { notifier: Notifier }\n",
      },
    },
    {
      rule: 'not-in-a-layer',
      why: 'a new folder is in no layer',
      files: {
        'src/domain/request.ts': 'export const STATUSES = ["accepted"];\n',
        'src/forecasts/daily.ts': "import { STATUSES } from '../domain/request.js';\nexport const counted = STATUSES.length;\n",
      },
    },
  ];
  let broken: Promise<Cruise> | undefined;
  const brokenTree = (): Promise<Cruise> => (broken ??= cruiseTree(Object.assign({}, ...BREAKS.map((b) => b.files)) as Record<string, string>));

  it.each(BREAKS)('fails the lint when $why ($rule)', async ({ rule }) => {
    const result = await brokenTree();
    expect(result.output).toContain(`error ${rule}:`);
    expect(result.exitCode).not.toBe(0);
  }, 120_000);

  it('passes a tree whose imports all point down', async () => {
    const result = await cruiseTree({
      ...STORE,
      'src/intake/request-reader.ts': "import type { RequestStore } from '../store/request-store.js';\nexport type Reader = Pick<RequestStore, 'kind'>;\n",
      'src/channels/portal/routes.ts': "import type { Reader } from '../../intake/request-reader.js';\nexport const read = (reader: Reader): string => reader.kind;\n",
    });
    expect(result.output).toContain('no dependency violations found');
    expect(result.exitCode).toBe(0);
  }, 120_000);
});

describe('docs/architecture.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');

  /** The rows of the table under `heading`: its cells, code spans unwrapped. */
  function tableRows(heading: string): string[][] {
    const lines = doc.split('\n');
    const start = lines.indexOf(heading);
    const end = lines.findIndex((line, at) => at > start && line.startsWith('#'));
    return lines
      .slice(start + 1, end === -1 ? undefined : end)
      .filter((line) => line.startsWith('|') && !line.startsWith('|---'))
      .slice(1)
      .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);

  it('names, for every rule, files that exist and functions they export', () => {
    const rows = tableRows('## Where each rule lives');
    expect(rows.length).toBeGreaterThan(15);
    for (const [rule, files, functions] of rows) {
      const sources = codeSpans(files ?? '').map((file) => readFileSync(path.join(ROOT, 'src', file), 'utf8'));
      expect(sources.length, rule).toBeGreaterThan(0);
      for (const name of codeSpans(functions ?? '').map((span) => span.split('.')[0] as string)) {
        const exported = new RegExp(`export (async )?(function|const|class|interface|type) ${name}\\b`);
        expect(sources.some((source) => exported.test(source)), `${rule}: ${name}`).toBe(true);
      }
    }
  });

  it('places every folder of src/ in the layers table', () => {
    const listed = tableRows('## The layers').map(([, where]) => where ?? '').join(' ');
    for (const entry of readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })) {
      const name = entry.isDirectory() ? `src/${entry.name}/` : entry.name;
      expect(listed, name).toContain(entry.isDirectory() ? `\`${name}` : name);
    }
  });
});
