/**
 * The proxy side of the one-shot ranking experiment: each ground-truth cnn-mnist vector trained
 * under each proxy setting (seeds from --seeds), cached under results/experiments/oneshot/cache so
 * scripts/experiment-oneshot.ts reads them and a rerun only trains what is missing.
 *
 *   npx tsx scripts/oneshot-proxies.ts [--workers 1] [--seeds 0]
 */
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { PROXY_SETTINGS, proxyTask, standAloneCnn } from './lib/oneshot-set.js';
import { TrialCache } from './lib/trial-cache.js';

const args = scriptArgs({ workers: { type: 'string', default: '1' }, seeds: { type: 'string', default: '0' } }, 'npx tsx scripts/oneshot-proxies.ts [--workers 1] [--seeds 0]');
const seeds = args.seeds.split(',').map((s, i) => numberArg(s, `seeds (entry ${i + 1})`));
const cache = new TrialCache('results/experiments/oneshot/cache', ['telemetry', 'groupTelemetry']);
const vectors = standAloneCnn();
const tasks = seeds.flatMap((seed) => PROXY_SETTINGS.flatMap((s) => vectors.map((v, i) => proxyTask(v.widths, s, seed, i))));
const pool = new PoolEvaluator({ workers: numberArg(args.workers, 'workers') });
await cache.runAll(pool, tasks, (t) => `proxy ${t.recipe.epochs} ep x ${t.data.maxTrain} ${t.widths.join(',')} seed ${t.seed}`);
await pool.close();
