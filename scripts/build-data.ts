// `npm run data`: rebuilds the bundled IP table from the pinned package and
// the curated list. The work lives in scripts/lib/ so tests can drive it.
import { runBuildData } from './lib/run-build-data.ts';

process.exitCode = runBuildData(process.argv.slice(2));
