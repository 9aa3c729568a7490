// A process of its own that starts a private redis-server on the folder given and prints
// {"pid", "port"}, then idles: tests kill it with -9 to leave an orphaned server behind, or
// keep it running to show that its server is never touched.
import { EmbeddedRedis } from '../../src/redis/embedded-redis.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: embedded-redis-owner.ts <dir>');
const server = await EmbeddedRedis.start({ dir });
process.stdout.write(`${JSON.stringify({ pid: server.pid, port: server.port })}\n`);
setInterval(() => undefined, 1 << 30);
