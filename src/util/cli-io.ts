/**
 * Where a CLI command reads and writes: the process's streams in production, captured ones in
 * tests. Its own file so that commands implemented elsewhere (ops/mailboxes-check.ts) take it
 * without importing the CLI that dispatches to them.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}
