/**
 * Run first by `npm test`: stops at once, with the one line that installs what is missing,
 * when the machine lacks a program the tests start (redis-server, Dovecot, Chromium, ...) —
 * rather than dozens of tests failing one by one, each with its own stack.
 */
import path from 'node:path';
import { missingPrerequisites } from './prerequisites.js';

const missing = missingPrerequisites(process.env);
const problems = missing.map(({ program, debianPackage, neededBy }) => `  ${path.isAbsolute(program) ? `${debianPackage} at ${program}` : program}: ${neededBy}`);
// Dovecot's mail folders belong to nobody and it drops to its own users: only root can start it.
if (process.getuid?.() !== 0) problems.push('  root: the mailbox tests start a private Dovecot, which only root can (its mail folders belong to nobody)');

if (problems.length > 0) {
  const packages = [...new Set(missing.map((p) => p.debianPackage))];
  const lines = ['npm test stopped before running anything: this machine lacks what the tests need.', ...problems];
  if (packages.length > 0) lines.push(`Install (Debian/Ubuntu, as root): apt-get install -y ${packages.join(' ')}`);
  lines.push('Or run "bash .ci/run" as root: it installs what is missing, then runs npm test.');
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exitCode = 1;
}
