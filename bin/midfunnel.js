#!/usr/bin/env node
// Entry for `npx midfunnel …`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(pathToFileURL(join(here, '..', 'app', 'cli.ts')).href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
