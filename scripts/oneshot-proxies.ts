/**
 * The proxy side of the one-shot ranking experiment: each ground-truth cnn-mnist vector trained
 * under each proxy setting (seeds from --seeds), cached under results/experiments/oneshot/cache so
 * scripts/experiment-oneshot.ts reads them and a rerun only trains what is missing.
 *
 *   npx tsx scripts/oneshot-proxies.ts [--workers 1] [--seeds 0] [--settings 0,1,2]
 */
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { PROXY_SETTINGS, proxyTask, standAloneCnn } from './lib/oneshot-set.js';
import { TrialCache } from './lib/trial-cache.js';

const args = scriptArgs({ workers: { type: 'string', default: '1' }, seeds: { type: 'string', default: '0' }, settings: { type: 'string', default: PROXY_SETTINGS.map((_, i) => i).join(',') } },
  'npx tsx scripts/oneshot-proxies.ts [--workers 1] [--seeds 0] [--settings 0,1,2 (indices into PROXY_SETTINGS)]');
const chosen = args.settings.split(',').map((s, i) => PROXY_SETTINGS[numberArg(s, `settings (entry ${i + 1})`)]);
const seeds = args.seeds.split(',').map((s, i) => numberArg(s, `seeds (entry ${i + 1})`));
const cache = new TrialCache('results/experiments/oneshot/cache', ['telemetry', 'groupTelemetry']);
const vectors = standAloneCnn();
const tasks = seeds.flatMap((seed) => chosen.flatMap((s) => vectors.map((v, i) => proxyTask(v.widths, s, seed, i))));
const pool = new PoolEvaluator({ workers: numberArg(args.workers, 'workers') });
await cache.runAll(pool, tasks, (t) => `proxy ${t.recipe.epochs} ep x ${t.data.maxTrain} ${t.widths.join(',')} seed ${t.seed}`);
await pool.close();
