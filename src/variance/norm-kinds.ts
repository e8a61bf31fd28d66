/**
 * Norm kinds: how one number per channel is read off a group's weights at one record. Each kind
 * is a pure function of a `GroupChannelSnapshot`; it returns null where it is not defined for the
 * group (no reader for the output-side kinds, no batch norm for `gamma`).
 *
 * Why several: Chen et al. take each channel's outgoing kernel norm (times its reader's column in
 * their code). A conv followed by batch norm is invariant to the scale of its kernel's output
 * channels, so that norm is steered by the initialisation and weight decay rather than by how much
 * the channel is used; the BN scale and the reader's column carry the channel's real weight there.
 */
import type { GroupChannelSnapshot } from '../trial/result.js';

export type NormKind = 'outgoing' | 'paired' | 'reader' | 'effective' | 'gamma' | 'displacement';

export interface NormKindInfo {
  name: NormKind;
  /** One line for --help and reports. */
  description: string;
  norms(snapshot: GroupChannelSnapshot): number[] | null;
}

const times = (a: number[], b: number[]) => a.map((v, i) => v * b[i]);

export const NORM_KINDS: Record<NormKind, NormKindInfo> = {
  outgoing: {
    name: 'outgoing',
    description: "L2 norm of each channel's producing kernel",
    norms: (s) => s.outgoing,
  },
  paired: {
    name: 'paired',
    description: "outgoing norm times the norm of the weights that read the channel (Chen et al.'s code)",
    norms: (s) => (s.reader ? times(s.outgoing, s.reader) : null),
  },
  reader: {
    name: 'reader',
    description: 'L2 norm of the weights that read the channel, over all its readers',
    norms: (s) => s.reader,
  },
  effective: {
    name: 'effective',
    description: "the channel's scale as the next layer sees it (|BN scale|, or the outgoing norm without BN) times its readers' norm",
    norms: (s) => (s.reader ? times(s.gamma ?? s.outgoing, s.reader) : null),
  },
  gamma: {
    name: 'gamma',
    description: "|BN scale| of each channel (groups with batch norm only)",
    norms: (s) => s.gamma,
  },
  displacement: {
    name: 'displacement',
    description: "L2 norm of each channel's kernel change since initialisation (no init spread)",
    norms: (s) => s.displacement,
  },
};

export const NORM_KIND_NAMES = Object.keys(NORM_KINDS) as NormKind[];

export function isNormKind(name: string): name is NormKind {
  return Object.prototype.hasOwnProperty.call(NORM_KINDS, name);
}
