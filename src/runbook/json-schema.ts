import * as z from 'zod/mini'
import type { StepDefinition } from '../steps/contract.js'
import { RunbookSpec } from './schema.js'

type JsonSchema = Record<string, unknown>

const EXPRESSION = {
  type: 'string',
  pattern: '^\\s*\\$\\{\\{.*\\}\\}\\s*$',
  description: 'An expression: ${{ ... }}',
}

/** A step parameter may be written as an expression wherever a plain string would not fit. */
function allowExpressions(ctx: { jsonSchema: JsonSchema }): void {
  const schema = ctx.jsonSchema
  const plainString = schema.type === 'string' && !schema.pattern && !schema.enum && !schema.format
  if (plainString || schema.type === undefined) return
  const original = { ...schema }
  for (const key of Object.keys(schema)) delete schema[key]
  if (original.description) schema.description = original.description
  schema.anyOf = [original, EXPRESSION]
}

/**
 * The JSON Schema of the runbook format, for editors (yaml-language-server) and `switchyard schema`:
 * the document, plus each step type's `with`, chosen by `uses`.
 */
export function runbookJsonSchema(stepTypes: ReadonlyMap<string, StepDefinition>): JsonSchema {
  const root = z.toJSONSchema(RunbookSpec, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema
  const phases = (root.properties as Record<string, JsonSchema>).phases as JsonSchema
  const phase = phases.items as JsonSchema
  const steps = (phase.properties as Record<string, JsonSchema>).steps as JsonSchema
  const step = steps.items as JsonSchema
  const properties = step.properties as Record<string, JsonSchema>
  const types = [...stepTypes.values()].sort((a, b) => a.type.localeCompare(b.type))
  properties.uses = {
    type: 'string',
    description: 'The step type',
    enum: types.map((t) => t.type),
  }
  step.allOf = types.map((t) => {
    const withSchema = z.toJSONSchema(t.params, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
      override: allowExpressions,
    }) as JsonSchema
    delete withSchema.$schema
    return {
      if: { properties: { uses: { const: t.type } }, required: ['uses'] },
      then: { properties: { with: { ...withSchema, description: t.summary } } },
    }
  })
  root.patternProperties = { '^x-': { description: 'Free for YAML anchors; ignored by switchyard' } }
  return {
    $id: 'https://switchyard.dev/schema/runbook.schema.json',
    title: 'switchyard runbook',
    ...root,
  }
}
