import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

// Each cruise is a process of its own: they run side by side.
describe.concurrent('the allowed directions of imports (.dependency-cruiser.cjs)', () => {
  it('finds no violation in the real tree', async () => {
    const result = await cruise(ROOT);
    expect(result.output).toContain('no dependency violations found');
    expect(result.exitCode).toBe(0);
  }, 120_000);

  it.each<{ rule: string; why: string; files: Record<string, string> }>([
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
        'src/reports/daily.ts': "import { STATUSES } from '../domain/request.js';\nexport const counted = STATUSES.length;\n",
      },
    },
  ])('fails the lint when $why ($rule)', async ({ rule, files }) => {
    const result = await cruiseTree(files);
    expect(result.output).toContain(`error ${rule}:`);
    expect(result.exitCode).not.toBe(0);
  }, 120_000);
});
