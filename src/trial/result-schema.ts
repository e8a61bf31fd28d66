/**
 * The trial contract, outbound, as one zod schema: what a reader of a journal checks a trial's
 * result against before it uses a field of it. The schema's output is `TrialResult` (the compiler
 * checks it), so what passes is what the code reads. NaN (an empty validation part's accuracy, a
 * diverged loss, an undefined spread) is written to JSON as null and read back as NaN.
 */
import { z } from 'zod';
import type { GroupTelemetry, LayerTelemetry, TrialResult } from './result.js';

const count = z.number().int().nonnegative();
/** A measured number: JSON writes NaN as null. */
export const measure = z.number().nullable().transform((v) => v ?? NaN);
const widths = z.array(z.number().int().min(1)).min(1);

const pointSchema = z.object({ epoch: z.number(), step: z.number(), variance: measure, mean: measure, min: measure, max: measure });

const layerTelemetrySchema: z.ZodType<LayerTelemetry, z.ZodTypeDef, unknown> = z.object({
  layer: z.string(), group: z.string().nullable(), width: count, outgoing: z.array(pointSchema), paired: z.array(pointSchema).optional(),
});

const groupTelemetrySchema: z.ZodType<GroupTelemetry, z.ZodTypeDef, unknown> = z.object({
  group: z.string(), width: count, layers: z.array(z.string()),
  points: z.array(z.object({
    epoch: z.number(), step: z.number(), outgoing: z.array(measure), reader: z.array(measure).nullable(), gamma: z.array(measure).nullable(), displacement: z.array(measure),
  })),
});

export const trialResultSchema: z.ZodType<TrialResult, z.ZodTypeDef, unknown> = z.object({
  trialId: z.number().int(),
  status: z.enum(['ok', 'failed']),
  reason: z.string().optional(),
  widths,
  metrics: z.object({ validationAccuracy: measure, testAccuracy: measure, trainLoss: measure, params: count, macs: count, nonzeroWeights: count.optional() }).passthrough().optional(),
  telemetry: z.array(layerTelemetrySchema).optional(),
  groupTelemetry: z.array(groupTelemetrySchema).optional(),
  history: z.array(z.object({ epoch: z.number(), trainLoss: measure, trainAccuracy: measure, seconds: z.number() }).passthrough()).optional(),
  backend: z.string().optional(),
  dataSha256: z.string().optional(),
  seconds: z.number(),
}).passthrough().refine((r) => r.status !== 'ok' || r.metrics !== undefined, { message: 'a successful result needs its metrics', path: ['metrics'] });
