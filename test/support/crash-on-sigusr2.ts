// A fault injector for `serve` (loaded with --import): SIGUSR2 makes the process throw an
// exception nothing catches, as a bug would, so tests can see what such a death leaves behind.
process.on('SIGUSR2', () => {
  throw new Error('a bug nobody caught (test/support/crash-on-sigusr2.ts)');
});
