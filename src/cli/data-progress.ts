/**
 * How the commands show a data load: image decoding progress on stderr (one updating bar on a
 * terminal, a line every 10% otherwise) and the line saying what was read (classes, split, cache).
 */
import type { DataSpec, Dataset } from '../core/dataset.js';
import type { DecodeProgress } from '../data/image-folder.js';
import type { LoadHooks } from '../data/registry.js';

/** Hooks that print a data load's progress and notes on stderr. */
export function printingLoadHooks(): Required<LoadHooks> {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let lastTenth = -1;
  return {
    onProgress: (p: DecodeProgress) => {
      const seconds = (performance.now() - started) / 1000;
      const rate = p.decoded > 0 && seconds > 0 ? `, ${Math.round(p.decoded / seconds)} images/s` : '';
      const line = `decoding images [${'#'.repeat(Math.round((20 * p.done) / p.total)).padEnd(20, '.')}] ${p.done}/${p.total} (${p.done - p.decoded} from the cache${rate})`;
      if (tty) process.stderr.write(`\r\x1b[K${line}${p.done === p.total ? '\n' : ''}`);
      else {
        const tenth = Math.floor((10 * p.done) / p.total);
        if (tenth !== lastTenth) process.stderr.write(`${line}\n`);
        lastTenth = tenth;
      }
    },
    onNote: (line: string) => process.stderr.write(`data: ${line}\n`),
  };
}

/**
 * A dataset that is slow to read (an image folder) loaded now, with its progress shown (bad data
 * fails here, before any training, and the threads that train then read the decode cache); other
 * datasets are left to the trainer.
 */
export async function loadImagesUpFront(data: DataSpec): Promise<Dataset | undefined> {
  const { datasetKind, loadDataset } = await import('../data/registry.js');
  if (!datasetKind(data.name).loadUpFront) return undefined;
  return loadDataset(data, printingLoadHooks());
}
