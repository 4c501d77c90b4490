// `npm run data`: rebuilds the bundled IP table from the pinned package, the
// curated list and, with --rib, BGP RIB dumps. The work lives in scripts/lib/
// so tests can drive it.
import { runBuildData } from './lib/run-build-data.ts';

process.exitCode = await runBuildData(process.argv.slice(2));
