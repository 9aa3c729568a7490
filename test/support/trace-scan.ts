/**
 * Looks for a person's traces everywhere a test can look: every key of a Redis (SCAN over the
 * whole database, every type — strings, hashes, lists, sets, sorted sets, streams; BullMQ's
 * job hashes are hashes) and every file under some folders (Redis's append-only files
 * included). A trace is found case-insensitively, as written or JSON-escaped (`\u0142` for ł).
 * Written apart from src/privacy on purpose: the erasure is checked by code that is not its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

/** The forms a needle can take in stored text. */
function forms(needle: string): string[] {
  const escaped = JSON.stringify(needle).slice(1, -1);
  const unicodeEscaped = [...needle].map((c) => (c.charCodeAt(0) > 0x7e ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
  return [...new Set([needle, escaped, unicodeEscaped, needle.normalize('NFD')])].map((form) => form.toLowerCase());
}

function finder(needles: readonly string[]): (text: string) => string | undefined {
  const all = needles.flatMap((needle) => forms(needle).map((form) => ({ needle, form })));
  return (text) => {
    const lowered = text.toLowerCase();
    return all.find(({ form }) => lowered.includes(form))?.needle;
  };
}

/** Every value of every key, as text, for each key. */
async function dumpKey(redis: Redis, key: string): Promise<string[]> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return [(await redis.get(key)) ?? ''];
    case 'hash':
      return Object.entries(await redis.hgetall(key)).flat();
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'set':
      return redis.smembers(key);
    case 'zset':
      return redis.zrange(key, '0', '-1');
    case 'stream':
      return (await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
    default:
      return [];
  }
}

/** `key: needle` for each key (name or value) holding a needle. */
export async function tracesInRedis(redis: Redis, needles: readonly string[]): Promise<string[]> {
  const find = finder(needles);
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const hit = find(key) ?? (await dumpKey(redis, key)).map(find).find(Boolean);
      if (hit) found.push(`${key}: ${hit}`);
    }
  } while (cursor !== '0');
  return found;
}

/** `file: needle` for each file under the folders holding a needle (read as UTF-8 and as latin1). */
export function tracesInFiles(dirs: readonly string[], needles: readonly string[]): string[] {
  const find = finder(needles);
  const found: string[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const file = path.join(dir, name);
      const stat = statSync(file, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(file);
      else if (stat.isFile()) {
        const bytes = readFileSync(file);
        const hit = find(bytes.toString('utf8')) ?? find(bytes.toString('latin1'));
        if (hit) found.push(`${file}: ${hit}`);
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return found;
}

/** How many keys the database holds, to show that a scan had something to look at. */
export async function keyCount(redis: Redis): Promise<number> {
  return redis.dbsize();
}
