/**
 * The width signal used by probe, search and report unless a user picks another, and the label
 * bands of every (norm kind, score) pair. Both come from results/experiments/signal.md: the
 * default is the candidate that agreed best with measured widening gains on the selection base
 * vectors; each band is the threshold that best separates too-narrow groups on those vectors,
 * widened by the seed-to-seed noise of the score. `scripts/experiment-signal.ts` writes
 * `signal-bands.json`; nothing here is tuned by hand.
 */
import bands from './signal-bands.json' with { type: 'json' };
import type { LabelBand, SignalChoice } from './group-signal.js';
import type { NormKind } from './norm-kinds.js';
import type { ScoreName } from './scores.js';

export interface SignalSettings extends SignalChoice {
  band: LabelBand;
}

interface BandsFile {
  chosen: SignalChoice & { proxyEpochs: number };
  /** By `norm/score/proxy epochs`. */
  bands: Record<string, LabelBand>;
}
const file = bands as BandsFile;

/** The measured default: norm kind, score, and the proxy length it was chosen at. */
export const DEFAULT_SIGNAL: SignalChoice & { proxyEpochs: number } = file.chosen;

/**
 * A choice with its label band, fitted at the proxy length nearest `proxyEpochs` (default: the
 * length the default was chosen at). Scores move with the proxy length, so a band is only as good
 * as that match; the search's moves use the scores' ranks alone and do not depend on it.
 */
export function signalSettings(norm: NormKind = DEFAULT_SIGNAL.norm, score: ScoreName = DEFAULT_SIGNAL.score, proxyEpochs = DEFAULT_SIGNAL.proxyEpochs): SignalSettings {
  const lengths = Object.keys(file.bands).filter((k) => k.startsWith(`${norm}/${score}/`)).map((k) => Number(k.split('/')[2]));
  const nearest = lengths.sort((a, b) => Math.abs(a - proxyEpochs) - Math.abs(b - proxyEpochs) || a - b)[0];
  const band = nearest === undefined ? undefined : file.bands[`${norm}/${score}/${nearest}`];
  // A pair whose score is undefined on every selection group has no band: it labels nothing.
  return { norm, score, band: band ?? { isUpTo: -Infinity, dsFrom: Infinity } };
}
