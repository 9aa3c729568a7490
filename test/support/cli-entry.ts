// Runs the CLI from source, as bin/hezo-intake.js runs it from dist/ (tests need no build).
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv.slice(2));
