/**
 * One `loadDataset` of an image folder in a fresh process, for its memory: prints the examples,
 * the seconds and the RSS after the load (run it under `/usr/bin/time -v` for the peak).
 *
 *   /usr/bin/time -v node --import tsx scripts/lib/measure-folder-load.ts DIR [h,w,c]
 */
import { loadDataset } from '../../src/data/index.js';

const dir = process.argv[2];
const shape = (process.argv[3] ?? '32,32,3').split(',').map(Number) as [number, number, number];
const t = performance.now();
const data = await loadDataset({ name: 'folder', dataDir: dir, imageShape: shape });
const seconds = (performance.now() - t) / 1000;
const examples = data.train.count + data.validation.count + data.test.count;
process.stdout.write(`${JSON.stringify({ examples, seconds: Number(seconds.toFixed(2)), rssMbAfterLoad: Math.round(process.memoryUsage().rss / 2 ** 20), floatMb: Math.round((examples * shape[0] * shape[1] * shape[2] * 4) / 2 ** 20) })}\n`);
