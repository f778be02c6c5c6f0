import * as z from 'zod/mini'
import { defineStep } from '../contract.js'

export const RecordRef = z.strictObject({
  name: z.string().check(z.minLength(1), z.describe('The record name, e.g. gift.example.com')),
  type: z.string().check(z.regex(/^[A-Z]+$/, { error: 'a record type is upper case: A, AAAA, CNAME' })),
})

const Weight = z.int().check(z.gte(0), z.lte(255))

export const weightsParams = z
  .strictObject({
    zone: z.string().check(z.minLength(1), z.describe('The Route 53 hosted zone id')),
    record: RecordRef,
    weights: z
      .record(z.string().check(z.minLength(1)), Weight)
      .check(z.describe('SetIdentifier -> weight (0-255) for each weighted record to change')),
    allow_all_zero: z.optional(
      z.boolean().check(z.describe('Allow every weight to be 0 (Route 53 then splits traffic equally)')),
    ),
    wait_insync: z.optional(
      z.boolean().check(z.describe('Wait until Route 53 reports INSYNC (default true)')),
    ),
  })
  .check(
    z.refine((p) => Object.keys(p.weights).length > 0, { error: 'weights names at least one SetIdentifier' }),
    z.refine((p) => p.allow_all_zero === true || Object.values(p.weights).some((w) => w > 0), {
      error:
        'every weight is 0: Route 53 would then split traffic equally; set allow_all_zero: true if that is meant',
      path: ['weights'],
    }),
  )

export type WeightsParams = z.infer<typeof weightsParams>

export const route53Weights = defineStep({
  type: 'route53.weights',
  summary: 'Set the weights of weighted records in one Route 53 change batch; rollback restores them',
  params: weightsParams,
  idempotent: () => true,
  reversible: () => true,
  usesAws: true,
  load: () => import('./weights-step.js').then((m) => m.weightsStep),
})
