// carrier-watch audit: load pages in headless Chromium and report which
// script contacted which flagged network. See AUDIT_USAGE (args.ts) and the
// README's "Site audit".
//
//   npm run --silent audit -- https://example.com/login --out reports/
//   npx carrier-watch audit urls.txt --concurrency 4 --interact

import { auditCommand } from './run.ts';

// Stopped by Ctrl-C or a CI timeout: leave through process.exit so the
// browser is killed and its profile removed (collector.ts's exit hook).
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    process.stderr.write(`carrier-watch audit: stopped (${signal}); no report written\n`);
    process.exit(code);
  });
}

process.exitCode = await auditCommand(process.argv.slice(2));
