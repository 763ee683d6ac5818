import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { churnSummary, clvSummary, evaluateClv, FREQUENCY_MODELS } from '../../models/index.ts';
import type { Store } from '../../store/index.ts';

const Bin = z.object({ from: z.number(), to: z.number(), customers: z.number().int() });
const Fit = z.object({
  fitId: z.string(),
  model: z.string(),
  timeUnit: z.string(),
  calibrationEnd: z.string(),
  params: z.record(z.string(), z.number()),
  standardErrors: z.record(z.string(), z.number()).nullable(),
  logLikelihood: z.number(),
  customers: z.number().int(),
  excluded: z.number().int(),
  converged: z.boolean(),
  fittedAt: z.date(),
});
const Metrics = z.object({
  n: z.number().int(),
  positives: z.number().int(),
  auc: z.number(),
  prAuc: z.number(),
  precisionAt10: z.number(),
  recallAt10: z.number(),
  brier: z.number(),
  calibration: z.array(z.object({ meanScore: z.number(), observed: z.number(), n: z.number().int() })),
});
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

/** The CLV and churn models as they stand (read from what their runs stored), and the CLV holdout evaluation. */
export function registerModelRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/clv/summary',
    { config: { permission: 'predictions:read' },
      schema: {
        tags: ['predict'],
        summary: 'The latest CLV scoring run and its fits, P(alive) in 10 bins and CLV by decile of customers',
        response: {
          200: z.object({
            run: z
              .object({ model: z.string(), fitId: z.string(), spendFitId: z.string().nullable(), currency: z.string(), asOf: z.string(), horizonMonths: z.number().int(), monthlyDiscountRate: z.number(), customers: z.number().int(), scoredAt: z.date() })
              .nullable(),
            fits: z.array(Fit),
            pAlive: z.array(Bin),
            clvDeciles: z.array(z.object({ decile: z.number().int(), minFen: z.number().int(), maxFen: z.number().int(), totalFen: z.number().int(), customers: z.number().int() })),
            totals: z.object({ customers: z.number().int(), clv12mFen: z.number().int(), expectedOrders90d: z.number() }),
          }),
        },
      },
    },
    async () => clvSummary(store),
  );
  api.post(
    '/v1/clv/evaluate',
    { config: { permission: 'predictions:read', expensive: true },
      schema: {
        tags: ['predict'],
        summary: 'Fit on the history up to calibration_end and compare the forecast with the holdout: per-frequency buckets, errors and the weekly tracking series (nothing is stored)',
        body: z.object({ calibration_end: day, holdout_end: day.optional(), model: z.enum(FREQUENCY_MODELS).default('bgnbd'), time_unit: z.enum(['week', 'day']).default('week') }).strict(),
        response: {
          200: z.object({
            model: z.string(),
            params: z.record(z.string(), z.number()),
            logLikelihood: z.number(),
            converged: z.boolean(),
            calibrationEnd: z.string(),
            holdoutEnd: z.string(),
            holdoutLength: z.number(),
            timeUnit: z.string(),
            customers: z.number().int(),
            byFrequency: z.array(z.object({ bucket: z.string(), customers: z.number().int(), predicted: z.number(), actual: z.number() })),
            predictedTotal: z.number(),
            actualTotal: z.number(),
            aggregateError: z.number().nullable(),
            meanAbsoluteError: z.number(),
            tracking: z.object({ start: z.string(), calibrationWeek: z.number().int(), actual: z.array(z.number()), predicted: z.array(z.number()) }),
          }),
        },
      },
    },
    async (request) => {
      const b = request.body;
      const evaluation = await evaluateClv(store, { model: b.model, timeUnit: b.time_unit, calibrationEnd: b.calibration_end, holdoutEnd: b.holdout_end });
      return { ...evaluation, aggregateError: Number.isFinite(evaluation.aggregateError) ? evaluation.aggregateError : null };
    },
  );
  api.get(
    '/v1/churn/summary',
    { config: { permission: 'predictions:read' },
      schema: {
        tags: ['predict'],
        summary: 'The deployed churn model with its time-split evaluation (AUC, PR-AUC, top-10% precision and recall, calibration) and risk in 10 bins',
        response: {
          200: z.object({
            model: z
              .object({
                modelId: z.string(),
                kind: z.string(),
                cutoff: z.string(),
                horizonDays: z.number().int(),
                trainedAt: z.date(),
                evaluation: z.object({
                  horizonDays: z.number().int(),
                  trainCutoff: z.string(),
                  validationCutoff: z.string(),
                  end: z.string(),
                  train: z.object({ customers: z.number().int(), churnRate: z.number() }),
                  validation: z.object({ customers: z.number().int(), churnRate: z.number() }),
                  models: z.array(z.object({ model: z.string(), role: z.enum(['classifier', 'baseline']).optional().describe('absent in evaluations stored before baselines were reported'), metrics: Metrics })),
                  deployed: z.string().optional().describe('the model deployed: the best by AUC on the validation window'),
                  verdict: z.string().optional().describe('what the classifiers add over the best single-feature baseline'),
                  frequencyModel: z.object({ model: z.string(), reason: z.string() }).optional().describe('the repeat-buying model behind P(no purchase), and why it was chosen'),
                  features: z.object({ features: z.array(z.string()), note: z.string() }).optional().describe('the feature set the classifiers use, and how it was chosen'),
                }),
              })
              .nullable(),
            asOf: z.string().nullable(),
            customers: z.number().int(),
            risk: z.array(Bin),
          }),
        },
      },
    },
    async () => churnSummary(store),
  );
}
