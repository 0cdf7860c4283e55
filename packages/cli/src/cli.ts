#!/usr/bin/env node
/**
 * The `provkit` command. Ctrl-C aborts the running operation, which cleans up what it created.
 * @packageDocumentation
 */
import { main } from './main.ts';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));
process.once('SIGTERM', () => controller.abort(new Error('terminated')));
process.exitCode = await main(process.argv.slice(2), controller.signal);
