#!/usr/bin/env node
// carrier-watch: the project's command-line tools, from a clone after `npm ci`.
//
//   npx carrier-watch audit <url | file of URLs> … [options]   (src/audit/main.ts)
//   npx carrier-watch classify [IP | HOST | URL …]              (scripts/classify.ts)
//
// The tools are TypeScript run through tsx (a devDependency). Every path is
// resolved from this file, so the command works from any directory.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const COMMANDS = {
  audit: 'src/audit/main.ts',
  classify: 'scripts/classify.ts',
};
const USAGE = `usage: carrier-watch <command> [arguments]

commands:
  audit     load pages in headless Chromium and report which script contacted which flagged network
            (carrier-watch audit --help)
  classify  check IPs, hosts and URLs against the flagged list (carrier-watch classify --help)`;

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  console.log(USAGE);
  process.exit(command === undefined ? 2 : 0);
}
const script = COMMANDS[command];
if (script === undefined) {
  console.error(`carrier-watch: unknown command "${command}"\n${USAGE}`);
  process.exit(2);
}

let tsxCli;
try {
  tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
} catch {
  console.error(`carrier-watch: tsx is missing; run \`npm ci\` in ${root}`);
  process.exit(2);
}

const child = spawn(process.execPath, [tsxCli, '--tsconfig', `${root}tsconfig.json`, `${root}${script}`, ...rest], {
  stdio: 'inherit',
});
// Ctrl-C reaches the child through the terminal; a signal sent to this process alone is passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
