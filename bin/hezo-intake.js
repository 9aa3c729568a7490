#!/usr/bin/env node
// The CLI runs the compiled output (npm install runs `prepare`, which builds it).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
